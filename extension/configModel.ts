// configModel.ts: the launch configuration F5 gets when there is no launch.json, and the gaps
// resolveDebugConfiguration fills — decided from the file's text alone, without `vscode`, so it is tested in
// Node on the examples. The boot state follows the program's first .code16/.code32/.code64 directive: the
// mode its first instruction is assembled for is the mode it must start in.
import path from 'node:path';

export type DebugConfig = Record<string, unknown> & { type?: string; request?: string; name?: string };

/** The file the editor shows, when there is one. */
export interface ActiveFile {
  path: string;
  languageId: string;
  text: string;
}

export type BootChoice = { boot: 'real' } | { boot: 'protected' } | { boot: 'long'; load: string; paging: 4 };

/** A GAS source by its extension (the `gas` language's extensions in package.json). */
export function isGasPath(file: string): boolean {
  return /\.(S|s|sx)$/.test(file);
}

/** Block and line comments removed, line breaks kept ('#' starts a comment on x86 unless it is a cpp line). */
function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((l) => (/^\s*#\s*(include|define|undef|if|ifdef|ifndef|else|elif|endif)\b/.test(l) ? '' : l.replace(/(#|\/\/).*$/, '')))
    .join('\n');
}

/** The first .codeNN directive decides: 16 → real mode, 32 → protected mode, 64 → long mode at 1 MiB. */
export function bootFromSource(text: string): BootChoice | null {
  const m = /^[ \t]*(?:[A-Za-z_.$][\w.$]*:[ \t]*)*\.code(16|32|64)\b/m.exec(stripComments(text));
  if (m === null) return null;
  if (m[1] === '16') return { boot: 'real' };
  if (m[1] === '32') return { boot: 'protected' };
  return { boot: 'long', load: '0x100000', paging: 4 };
}

/** The configuration for debugging one .S file: boot chosen from its .codeNN, stopped on entry. */
export function configForFile(file: string, text: string): DebugConfig {
  const choice = bootFromSource(text);
  return {
    type: 'trampoline',
    request: 'launch',
    name: `Trampoline: ${path.basename(file)}`,
    program: file,
    ...(choice ?? {}),
    stopOnEntry: true,
  };
}

export const UNTRUSTED_MESSAGE = 'Trampoline: debugging is disabled in an untrusted workspace (it assembles and runs the program). Trust the folder to debug; the GAS language features stay on.';

/**
 * What resolveDebugConfiguration returns: the configuration to start, or the message to show instead.
 * An empty configuration is F5 without a launch.json.
 */
export function resolveConfig(config: DebugConfig, active: ActiveFile | null, trusted: boolean): { config: DebugConfig } | { error: string } {
  if (!trusted) return { error: UNTRUSTED_MESSAGE };
  const gasActive = active !== null && (active.languageId === 'gas' || isGasPath(active.path));
  if (config.type === undefined && config.request === undefined && config.name === undefined) {
    if (!gasActive) return { error: 'Trampoline: open a .S file to debug it, or add a "trampoline" configuration to launch.json.' };
    return { config: configForFile(active.path, active.text) };
  }
  if (config.program === undefined || config.program === null || config.program === '') {
    if (!gasActive) return { error: 'launch.json: "program" is missing and the active editor is not a .S file to debug instead.' };
    const choice = config.boot === undefined ? bootFromSource(active.text) : null;
    return { config: { ...config, program: active.path, ...(choice ?? {}) } };
  }
  return { config };
}
