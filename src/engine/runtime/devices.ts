/**
 * The device table: every device a model can be trained or embedded on, for configs, sessions, the
 * command line and messages. Imports nothing, so the engine's contracts (types.ts) can use it too.
 */

/** The devices, in the order messages list them. */
export const DEVICES = ["auto", "cpu", "cuda", "webgpu"] as const;

export type Device = (typeof DEVICES)[number];

/** A device that actually runs a session (what `auto` resolves to). */
export type ResolvedDevice = Exclude<Device, "auto">;

/** Whether `name` is one of `DEVICES`. */
export function isDevice(name: string): name is Device {
  return (DEVICES as readonly string[]).includes(name);
}
