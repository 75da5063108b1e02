import type { SegmentedModel } from '../engine/runner';
import type { LogitTerm, RejectedNode } from '../model/detect/core';
import { coreFacts, type CoreFacts } from './core-facts';
import { coreInputs } from '../model/segment';
import { defaultIds } from './model-facts';

export interface GraphReport {
  model: string;
  opset: number;
  nodes: number;
  maxPositions: number | null;
  cores: (CoreFacts & { nodes: number; q: string; k: string; v: string; output: string; scale: number | null; scaleSource: 'attribute' | 'graph' | 'default'; terms: string[] })[];
  /** Segments in run order; after segment i run the cores listed in coresAfter. */
  segments: { index: number; nodes: number; inputs: number; outputs: number; coresAfter: number[]; cutTensors: string[] }[];
  rejected: RejectedNode[];
  /** Shapes and causality come from a short probe run; its error, if it failed. */
  probeError: string | null;
}

/** What the detector found per core and where the graph is cut; a short probe run fills in shapes. */
export async function runGraph(model: SegmentedModel, modelPath: string): Promise<GraphReport> {
  let probeError: string | null = null;
  let runs: Awaited<ReturnType<SegmentedModel['run']>>['cores'] = [];
  try {
    runs = (await model.run(defaultIds(model).slice(0, 8), { keepInputs: false, variant: { id: 'softmax', params: {} } })).cores;
  } catch (err) {
    probeError = err instanceof Error ? err.message : String(err);
  }
  return {
    model: modelPath, opset: model.model.opset, nodes: model.graph.nodes.length, maxPositions: model.maxPositions,
    cores: model.cores.map((c) => ({
      ...coreFacts(c, runs.find((r) => r.layer === c.layer)),
      nodes: c.nodes.length, q: c.q.name, k: c.k.name, v: c.v.name, output: c.output.name,
      scale: c.scale, scaleSource: c.scaleFromTerms ? 'graph' : c.scale === null ? 'default' : 'attribute', terms: c.terms.map(describeTerm),
    })),
    segments: model.plan.segments.map((s) => ({
      index: s.index, nodes: s.nodes.length, inputs: s.inputs.length, outputs: s.outputs.length,
      coresAfter: model.plan.coresAfter[s.index].map((i) => model.cores[i].layer),
      // The cut: tensors this segment hands to the cores that run after it.
      cutTensors: s.outputs.filter((t) => model.plan.coresAfter[s.index].some((i) => coreInputs(model.cores[i]).includes(t))),
    })),
    rejected: model.detection.rejected,
    probeError,
  };
}

function describeTerm(t: LogitTerm): string {
  switch (t.op) {
    case 'mul': return `× ${t.tensor}`;
    case 'div': return `÷ ${t.tensor}`;
    case 'add': return `+ ${t.tensor}`;
    case 'mask': return `mask ${t.tensor}`;
    case 'where': return `where(${t.cond} == ${t.keepWhen}) else ${t.fill}`;
  }
}
