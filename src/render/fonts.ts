/**
 * Font availability check. sharp renders SVG text through its bundled fontconfig, which reads the
 * system's /etc/fonts; with no fonts installed every label renders as "tofu" boxes and the
 * provenance captions become unreadable. We check once per process (first render) with
 * `fc-list`, falling back to looking for font files in the usual directories when `fc-list` is
 * absent, warn on stderr if nothing usable is found, and attach the warning to render notes.
 *
 * Fix when the warning appears: `apt-get install -y fonts-dejavu-core fontconfig` (Debian/Ubuntu),
 * or ship a TTF plus a fonts.conf and set FONTCONFIG_FILE before sharp is imported.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface FontStatus {
  /** True when at least one font is installed (text will render as glyphs, not boxes). */
  ok: boolean;
  /** True when DejaVu Sans (the family the renderers ask for) is installed. */
  dejavu: boolean;
  /** How the check was done and what it found. */
  detail: string;
}

const FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", "/System/Library/Fonts", "C:\\Windows\\Fonts"];
const INSTALL_HINT = "install fonts-dejavu-core (apt-get install -y fonts-dejavu-core fontconfig)";

let cached: FontStatus | undefined;

/** Check (once per process) whether fonts are available for SVG text; warns on stderr when not. */
export function checkFonts(): FontStatus {
  if (!cached) {
    cached = queryFontconfig() ?? scanFontDirs();
    if (!cached.ok || !cached.dejavu) process.stderr.write(`cebra-mcp render: ${fontNote(cached)}\n`);
  }
  return cached;
}

/** The note to attach to render results when fonts are missing or not DejaVu, else undefined. */
export function fontWarning(): string | undefined {
  const status = checkFonts();
  return status.ok && status.dejavu ? undefined : fontNote(status);
}

function fontNote(status: FontStatus): string {
  if (!status.ok) return `no fonts found (${status.detail}): labels may render as boxes; ${INSTALL_HINT}`;
  return `DejaVu Sans not found (${status.detail}); labels use another sans-serif font and may be wider; ${INSTALL_HINT}`;
}

/** Ask fontconfig for installed families; undefined when `fc-list` cannot be run. */
function queryFontconfig(): FontStatus | undefined {
  let out: string;
  try {
    out = execFileSync("fc-list", [":", "family"], { encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return undefined;
  }
  const families = out.split("\n").filter((l) => l.trim().length > 0);
  const dejavu = families.some((f) => /DejaVu Sans/i.test(f));
  return { ok: families.length > 0, dejavu, detail: `fc-list: ${families.length} font families` };
}

/** Fallback when fc-list is absent: look for font files in the usual directories (3 levels deep). */
function scanFontDirs(): FontStatus {
  const files = FONT_DIRS.filter((d) => existsSync(d)).flatMap((d) => listFontFiles(d, 3));
  const dejavu = files.some((f) => /DejaVuSans\.ttf$/i.test(f));
  return { ok: files.length > 0, dejavu, detail: `fc-list not available; ${files.length} font files in ${FONT_DIRS.join(", ")}` };
}

function listFontFiles(dir: string, depth: number): string[] {
  if (depth === 0) return [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return listFontFiles(path, depth - 1);
    return /\.(ttf|otf|ttc)$/i.test(e.name) ? [path] : [];
  });
}
