// Adam with decoupled weight decay (AdamW, Loshchilov & Hutter) and a learning rate given at every step, for
// warm-up and decay schedules: TensorFlow.js's Adam has a fixed rate and no decoupled decay.
import { tf } from "./tf.js";

export interface AdamWOptions {
  /** Decoupled decay per unit learning rate, applied to matrices only (biases and LayerNorm gains are left alone). */
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class AdamW {
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  private t = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;

  constructor(private readonly vars: readonly tf.Variable[], opts: AdamWOptions) {
    const { weightDecay, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = opts;
    if (!(weightDecay >= 0)) throw new RangeError(`weightDecay must be ≥ 0, got ${weightDecay}`);
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new RangeError(`beta1 ${beta1} and beta2 ${beta2} must lie in [0, 1)`);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    for (const x of vars) this.moments.set(x.name, { m: tf.variable(tf.zerosLike(x), false), v: tf.variable(tf.zerosLike(x), false) });
  }

  /** One update with learning rate `lr`; `grads` is keyed by variable name, variables without a gradient stay put. */
  step(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    if (!(lr >= 0)) throw new RangeError(`lr must be ≥ 0, got ${lr}`);
    this.t++;
    const { beta1: b1, beta2: b2, epsilon, t } = this;
    // Bias corrections folded into the step size, as in the Adam paper's efficient form.
    const stepSize = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    tf.tidy(() => {
      for (const x of this.vars) {
        const g = grads[x.name];
        if (!g) continue;
        const { m, v } = this.moments.get(x.name)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        const decayed = x.rank >= 2 && this.weightDecay > 0 ? tf.mul(x, 1 - lr * this.weightDecay) : x;
        x.assign(tf.sub(decayed, tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), epsilon))));
      }
    });
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
  }
}

/**
 * Learning rate at `step` (0-based) of `total`: linear warm-up over the first `warmup` steps to `peak`, then linear
 * decay to `peak·floor` at the last step.
 */
export function warmupLinearDecay(step: number, total: number, peak: number, warmup: number, floor = 0): number {
  if (!(Number.isInteger(total) && total > 0)) throw new RangeError(`total must be a positive integer, got ${total}`);
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const rest = Math.max(1, total - 1 - warmup);
  const done = Math.min(1, (step - warmup) / rest);
  return peak * (1 - (1 - floor) * done);
}
