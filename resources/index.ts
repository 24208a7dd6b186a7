/**
 * The resource registry: every resource and resource template the server offers. To add one: write
 * `resources/<name>.ts` exporting a `Registration` (tools/kit/catalog.ts) and append it here.
 */
import type { Registration } from "../tools/kit/catalog.js";
import { registerArtifactResources } from "./artifacts.js";
import { registerBuiltinParameters } from "./builtin-parameters.js";
import { registerViewer } from "./viewer.js";

export const RESOURCES: readonly Registration[] = [registerArtifactResources, registerBuiltinParameters, registerViewer];
