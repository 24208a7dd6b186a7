/** Parameter schemas that several tools share, so the same argument reads the same everywhere. */
import { z } from "zod";

/** An artifact id argument (rec_…, mdl_…, emb_…, dec_…, job_…). */
const artifactId = (description: string) => z.string().min(1).max(64).describe(description);

/** What a decoder reads: a trained model or one of its embeddings. */
export const MODEL_OR_EMBEDDING = {
  model_id: artifactId("Model id (mdl_…); give this or embedding_id.").optional(),
  embedding_id: artifactId("Embedding id (emb_…) instead of model_id.").optional(),
};

/** kNN distance of the decoders: absent, each decoder chooses it on validation (src/decode/kselect.ts). */
export const METRIC = z.enum(["cosine", "euclidean", "correlation"]).optional().describe("kNN distance (default: chosen on validation).");
