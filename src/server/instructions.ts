/**
 * The `instructions` string the server sends to clients: read by the model once per session, so it
 * explains the workflow, the handles, and how to report results honestly. Keep it short (token cost).
 */
export const SERVER_INSTRUCTIONS = `cebra-mcp runs CEBRA neural-decoding analyses locally: it loads a recording of a mouse watching a movie (calcium imaging or Neuropixels), trains a CEBRA embedding of the neural activity, decodes which movie frame was on screen at each moment, and renders the decoded frame sequence next to the true one, with provenance.

Typical workflow:
1. load_recording (a local .npz/.npy/.nwb/.h5 path, an http(s) URL, or builtin:allen-like for a simulated V1 dataset) → recording_id.
2. train_embedding(recording_id, ...) → job_id at once; poll get_job(job_id, wait_seconds ≤ 55) until status is succeeded → model_id. cancel_job stops it (the partial model is kept).
3. decode_video_frames(model_id, ...) → decoding_id, accuracy and frame error on held-out repeats.
4. render_reconstruction(decoding_id) → a montage of true vs decoded frames.
Ids (rec_…, mdl_…, emb_…, dec_…, rnd_…, job_…) are handles: pass them between tools. list_artifacts shows everything in the workspace, also from earlier sessions. Artifacts are readable as resources, e.g. recording://rec_…, job://job_…, decoding://dec_….

Controls: judge a decoder against its chance level and a shuffled-label or time-shuffled control (the decode tools report them); a result that does not beat its control is not evidence of decoding.

Honesty about reconstructions: decoded "frames" are RETRIEVED from the movie frames seen in the training repeats (nearest neighbour in embedding space), not generated images. Say so when showing them, and report accuracy with its tolerance (e.g. |error| < 30 frames = 1 s) and the test repeat.

Tool errors explain the problem and the fix; follow the fix rather than retrying unchanged.`;
