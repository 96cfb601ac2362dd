import type { Graphviz } from '@hpcc-js/wasm-graphviz';

// Graphviz's own layout (dot), compiled to WebAssembly: the same version on
// every machine, nothing to install beside npm's packages. Loaded on first
// use, so that no other herd command pays for it.

let graphviz: Promise<Graphviz> | undefined;

export async function dotToSvg(dot: string): Promise<string> {
  graphviz ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  return (await graphviz).dot(dot, 'svg');
}
