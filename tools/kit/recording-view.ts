/** How a loaded recording is shown in tool results (load_recording). */
import { lacksNeuralSignal, recordingOneLine, type RecordingSummary } from "../../src/store/recordings.js";

/** The text block of a load: one line on the data, the labels and movie, any warnings (one per line), and what to call next. */
export function describeLoadedRecording(id: string, s: RecordingSummary): string {
  const labels = [
    s.label_columns.frame_features.length ? `frame_features (${s.label_columns.frame_features.length} dims)` : "",
    s.label_columns.continuous.length ? `continuous [${s.label_columns.continuous.join(", ")}]` : "",
    s.label_columns.discrete.length ? `discrete [${s.label_columns.discrete.join(", ")}]` : "",
  ].filter(Boolean);
  const lines = [
    `Loaded ${id}: ${recordingOneLine(s)}.`,
    `Labels: ${labels.join("; ") || "none"}.${s.movie ? ` Movie: ${s.movie.n_frames} frames ${s.movie.height}×${s.movie.width} px.` : ""}`,
  ];
  if (s.warnings.length) lines.push(`Warnings:${s.warnings.map((w) => `\n- ${w}`).join("")}`);
  if (lacksNeuralSignal(s)) lines.push("Next: check the source and load options named in the warning; training on this recording is refused.");
  else lines.push(`Next: train_embedding with recording_id "${id}".`);
  return lines.join("\n");
}
