/**
 * The `instructions` string the server sends to clients: read by the model once per session, so it
 * explains the workflow, the handles, and how to report results honestly. Keep it short (token cost).
 */
export const SERVER_INSTRUCTIONS = `cebra-mcp runs CEBRA neural-decoding analyses locally: it loads a recording of a mouse watching a movie (calcium imaging or Neuropixels), trains a CEBRA embedding of the neural activity, decodes which movie frame was on screen at each moment, and renders the decoded frame sequence next to the true one, with provenance.

Typical workflow:
1. load_recording (a local .npz/.npy/.nwb/.h5 path, an http(s) URL, dandi:<dandiset>/<path>, or builtin:allen-like for a simulated V1 dataset) → recording_id. Unsure what a file holds? inspect_source shows it and the exact load_recording call.
2. train_embedding(recording_id, ...) runs as a job: it returns model_id if training ends within wait_seconds (default 40), else status running and a job_id; then poll get_job(job_id, wait_seconds ≤ 55). cancel_job stops it (the partial model is kept).
3. decode_video_frames(model_id) → decoding_id with accuracy, errors and chance on the held-out repeat (decode_labels for recordings without a movie).
4. render_reconstruction(decoding_id) → true vs decoded frames; plot_embedding and compare_embeddings (consistency across seeds) inspect the embedding.
Ids (rec_…, mdl_…, emb_…, dec_…, rnd_…, job_…) are handles: pass them between tools. list_artifacts shows everything in the workspace, also from earlier sessions. Artifacts are readable as resources, e.g. recording://rec_…, job://job_…, decoding://dec_… (a summary; per-sample rows come in pages, decoding://dec_…?offset=0&limit=100, and as a CSV file whose path it names). Tool results and resource pages are kept small: long tables are summarised and saved as workspace files; read those files only when you need every row.

Controls: every decoding reports chance and the same kNN protocol (each decoder's settings chosen on validation) on raw activity (per sample, and averaged over the model's receptive field) and on the untrained encoder (the model at initialisation: what training added); shuffled_control adds a model trained on shuffled labels. Each control comes with CEBRA's margin and a 95% interval. A result that does not beat the raw-activity controls is not evidence that the embedding helps; one that does not beat the shuffled control or the untrained encoder is not evidence of learning. Report them side by side.

Honesty about reconstructions: decoded "frames" are RETRIEVED from the stimulus movie by the decoded frame index (kNN on the embedding), not generated images. Say so when showing them, and report accuracy with its tolerance (e.g. |error| < 30 frames = 1 s) and the test repeat.

Tool errors explain the problem and the fix; follow the fix rather than retrying unchanged.`;