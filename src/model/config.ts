// BERT configurations: the standard presets and what a Hugging Face config.json for BertForSequenceClassification says.

export interface BertConfig {
  /** Transformer layers. */
  layers: number;
  /** Hidden width d. */
  hidden: number;
  /** Attention heads; hidden must be a multiple of it. */
  heads: number;
  /** FFN inner width (4·hidden in every preset). */
  intermediate: number;
  vocabSize: number;
  /** Largest position embedding index + 1. */
  maxPositions: number;
  typeVocabSize: number;
  /** Output classes of the classifier head. */
  labels: number;
  layerNormEps: number;
  /** Class names by index (config.json's id2label), when the model has them. */
  labelNames?: string[];
}

const base = { vocabSize: 30522, maxPositions: 512, typeVocabSize: 2, labels: 2, layerNormEps: 1e-12 };

function preset(layers: number, hidden: number, heads: number): BertConfig {
  return { layers, hidden, heads, intermediate: 4 * hidden, ...base };
}

/** Google's BERT miniatures and the two original sizes. */
export const PRESETS: Readonly<Record<string, BertConfig>> = Object.freeze({
  tiny: preset(2, 128, 2),
  mini: preset(4, 256, 4),
  small: preset(4, 512, 8),
  medium: preset(8, 512, 8),
  base: preset(12, 768, 12),
  large: preset(24, 1024, 16),
});

/** A preset by name, with optional overrides; unknown names list the known ones. */
export function presetConfig(name: string, overrides: Partial<BertConfig> = {}): BertConfig {
  const p = PRESETS[name];
  if (!p) throw new RangeError(`unknown model preset "${name}" (known: ${Object.keys(PRESETS).join(", ")})`);
  return validateConfig({ ...p, ...overrides });
}

function positiveInt(cfg: Record<string, unknown>, key: string, source: string): number {
  const v = cfg[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new RangeError(`${source}: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Reads a Hugging Face BERT config.json object (BertForSequenceClassification). */
export function configFromHuggingFace(json: unknown, source = "config.json"): BertConfig {
  if (typeof json !== "object" || json === null) throw new TypeError(`${source}: expected a JSON object`);
  const cfg = json as Record<string, unknown>;
  if (cfg.model_type !== undefined && cfg.model_type !== "bert") throw new RangeError(`${source}: "model_type" must be "bert", got ${JSON.stringify(cfg.model_type)}`);
  const act = cfg.hidden_act ?? "gelu";
  if (act !== "gelu" && act !== "gelu_new" && act !== "gelu_pytorch_tanh") throw new RangeError(`${source}: "hidden_act" ${JSON.stringify(act)} is not supported (GELU only)`);
  const labelNames = cfg.id2label === undefined ? undefined : parseId2Label(cfg.id2label, source);
  const labels = labelNames ? labelNames.length : typeof cfg.num_labels === "number" ? cfg.num_labels : 2;
  const eps = cfg.layer_norm_eps ?? 1e-12;
  if (typeof eps !== "number" || !(eps > 0)) throw new RangeError(`${source}: "layer_norm_eps" must be a positive number`);
  return validateConfig({
    layers: positiveInt(cfg, "num_hidden_layers", source),
    hidden: positiveInt(cfg, "hidden_size", source),
    heads: positiveInt(cfg, "num_attention_heads", source),
    intermediate: positiveInt(cfg, "intermediate_size", source),
    vocabSize: positiveInt(cfg, "vocab_size", source),
    maxPositions: positiveInt(cfg, "max_position_embeddings", source),
    typeVocabSize: cfg.type_vocab_size === undefined ? 2 : positiveInt(cfg, "type_vocab_size", source),
    labels,
    layerNormEps: eps,
    ...(labelNames && { labelNames }),
  }, source);
}

/** id2label: {"0": name, "1": name, …}, one string per class index from 0. */
function parseId2Label(v: unknown, source: string): string[] {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new RangeError(`${source}: "id2label" must be an object of class names`);
  const map = v as Record<string, unknown>;
  const count = Object.keys(map).length;
  return Array.from({ length: count }, (_, i) => {
    const name = map[String(i)];
    if (typeof name !== "string") throw new RangeError(`${source}: "id2label" must name every class 0..${count - 1}, "${i}" is ${JSON.stringify(name)}`);
    return name;
  });
}

/** The Hugging Face config.json object for a configuration. */
export function configToHuggingFace(c: BertConfig): Record<string, unknown> {
  return {
    architectures: ["BertForSequenceClassification"],
    model_type: "bert",
    num_hidden_layers: c.layers,
    hidden_size: c.hidden,
    num_attention_heads: c.heads,
    intermediate_size: c.intermediate,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxPositions,
    type_vocab_size: c.typeVocabSize,
    num_labels: c.labels,
    layer_norm_eps: c.layerNormEps,
    hidden_act: "gelu",
    ...(c.labelNames && {
      id2label: Object.fromEntries(c.labelNames.map((name, i) => [String(i), name])),
      label2id: Object.fromEntries(c.labelNames.map((name, i) => [name, i])),
    }),
  };
}

export function validateConfig(c: BertConfig, source = "config"): BertConfig {
  for (const key of ["layers", "hidden", "heads", "intermediate", "vocabSize", "maxPositions", "typeVocabSize", "labels"] as const) {
    positiveInt(c as unknown as Record<string, unknown>, key, source);
  }
  if (c.hidden % c.heads !== 0) throw new RangeError(`${source}: hidden size ${c.hidden} is not a multiple of the head count ${c.heads}`);
  if (c.labelNames && c.labelNames.length !== c.labels) throw new RangeError(`${source}: ${c.labelNames.length} label names for ${c.labels} labels`);
  return c;
}
