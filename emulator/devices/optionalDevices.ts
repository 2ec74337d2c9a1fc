// optionalDevices.ts: the devices a program asks for by name (`--device NAME`, launch attribute `device`),
// beyond the PC devices every program finds (design.md "Devices").
export const OPTIONAL_DEVICES = ['pc-testdev'] as const;
export type OptionalDevice = typeof OPTIONAL_DEVICES[number];

export function isOptionalDevice(name: string): name is OptionalDevice {
  return (OPTIONAL_DEVICES as readonly string[]).includes(name);
}
