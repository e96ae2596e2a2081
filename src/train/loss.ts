// CipherPrune's training objective: L = L_task + λ·(L_prune + α·L_approx), where L_prune and L_approx are the mean
// L1 norms of the soft masks M_θ and M_β over layers (each normalised by the number of real tokens other than
// [CLS], so the terms are shares in [0, 1]).
import { tf } from "./tf.js";

export interface LossWeights {
  /** λ: weight of the mask terms against the task loss. */
  lambda: number;
  /** α: weight of the high-degree mask against the keep mask. */
  alpha: number;
}

export interface LossParts {
  total: tf.Scalar;
  task: tf.Scalar;
  prune: tf.Scalar;
  approx: tf.Scalar;
}

/** Mean over layers of Σ_j valid_j·M_j / Σ_j valid_j, valid = real tokens except [CLS]; 0 for no layers. */
export function maskNorm(masks: tf.Tensor2D[], mask: tf.Tensor2D): tf.Scalar {
  if (masks.length === 0) return tf.scalar(0);
  const valid = tf.cast(mask, "float32").slice([0, 1], [-1, -1]);
  const count = tf.maximum(tf.sum(valid), 1);
  const per = masks.map((m) => tf.div(tf.sum(tf.mul(m.slice([0, 1], [-1, -1]), valid)), count));
  return tf.div(tf.addN(per), masks.length) as tf.Scalar;
}

/** Mean softmax cross-entropy of the logits against integer labels (given as floats). */
export function taskLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(labels, "int32"), logits.shape[1]), logits) as tf.Scalar;
}

export function pruningLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, keep: tf.Tensor2D[], highDegree: tf.Tensor2D[], mask: tf.Tensor2D, w: LossWeights): LossParts {
  const task = taskLoss(logits, labels);
  const prune = maskNorm(keep, mask);
  const approx = maskNorm(highDegree, mask);
  const total = tf.add(task, tf.mul(w.lambda, tf.add(prune, tf.mul(w.alpha, approx)))) as tf.Scalar;
  return { total, task, prune, approx };
}
