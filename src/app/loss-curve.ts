/**
 * The loss panel's data for a stored model: its loss per step, the InfoNCE chance level for its
 * batch size (2·log(B) for hybrid training), and its shuffled-label twin's loss (or, for a control,
 * the real model's) so both are drawn on one axis.
 */
import { LOG_FILE } from "../engine/train/export.js";
import type { TrainLog } from "../engine/types.js";
import { chanceLoss, type LossCurve } from "../render/index.js";
import type { Workspace } from "../store/workspace.js";
import type { ModelMeta } from "./model-artifacts.js";

export async function lossCurveOf(ws: Workspace, modelId: string, meta: ModelMeta): Promise<LossCurve> {
  const log = await ws.readJson<TrainLog>(modelId, LOG_FILE);
  const isControl = meta.control !== null;
  const twinId = isControl ? meta.control_of : meta.shuffled_model_id;
  const twin = twinId ? await ws.readJson<TrainLog>(twinId, LOG_FILE).catch(() => undefined) : undefined;
  return {
    total: log.total,
    // Short legend labels (a 16-character id in each would cover the curves); the ids are in the subtitle.
    label: isControl ? "shuffled-label control" : "model",
    id: modelId,
    ...(meta.config.temperature_mode === "auto" ? { temperature: log.temperature } : {}),
    chance: chanceLoss(meta.config.batch_size, meta.config.hybrid),
    ...(twin && twinId ? { control: { total: twin.total, label: isControl ? "real model" : "shuffled-label control", id: twinId } } : {}),
  };
}
