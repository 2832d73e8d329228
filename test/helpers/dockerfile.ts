// A small Dockerfile reader: stages with their base, ENV, WORKDIR, COPY and CMD (inherited from
// the stage they are built FROM), enough to check the file against the repository.
import fs from 'node:fs';

export interface CopyInstr {
  from?: string;
  sources: string[];
  dest: string;
}
export interface Stage {
  name: string;
  base: string;
  env: Record<string, string>;
  workdir: string;
  copies: CopyInstr[];
  cmd?: string[];
}

export function readDockerfile(file: string): Map<string, Stage> {
  const text = fs.readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  const stages = new Map<string, Stage>();
  let cur: Stage | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [instr, ...restParts] = line.split(/\s+/);
    const rest = restParts.join(' ');
    switch (instr!.toUpperCase()) {
      case 'FROM': {
        const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest)!;
        const parent = stages.get(m[1]!);
        cur = {
          name: m[2] ?? m[1]!,
          base: m[1]!,
          env: { ...(parent?.env ?? {}) },
          workdir: parent?.workdir ?? '/',
          copies: [...(parent?.copies ?? [])],
          cmd: parent?.cmd,
        };
        stages.set(cur.name, cur);
        break;
      }
      case 'ENV':
        for (const m of rest.matchAll(/(\w+)=("[^"]*"|\S+)/g)) cur!.env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
        break;
      case 'WORKDIR':
        cur!.workdir = rest;
        break;
      case 'COPY': {
        const parts = rest.split(/\s+/);
        const from = parts.find((p) => p.startsWith('--from='))?.slice(7);
        const paths = parts.filter((p) => !p.startsWith('--'));
        cur!.copies.push({ from, sources: paths.slice(0, -1), dest: paths.at(-1)! });
        break;
      }
      case 'CMD':
        cur!.cmd = JSON.parse(rest) as string[];
        break;
    }
  }
  return stages;
}
