"""The exercises' expected answers, computed independently of the kit: private.

A check compares the learner's answer with a function from here, never with
the kit's own version of the same thing (which the learner could simply
call). Where PyTorch has a twin, the reference is PyTorch; otherwise it is
written here in a different way from the kit's. Notebooks never import this
module (a static check makes sure), and `feedback.attempt` switches every
function here off while a learner's function runs.

One section per notebook, named after it.
"""

import math

import numpy as np
import torch

# --- 00 welcome -----------------------------------------------------------------------------


def welcome_switch_point(weight, bias):
    """The root of w·x + b (where σ(w·x + b) = 0.5), by np.roots; None when w = 0 (no root)."""
    roots = np.roots([weight, bias])  # leading zeros are dropped: w = 0 leaves no root
    return float(roots[0].real) + 0.0 if len(roots) else None


# --- 01 forward pass ------------------------------------------------------------------------


def forward_pass_linear(x, W, b):
    """x (N, in), W (out, in), b (out,) → x Wᵀ + b (N, out), by PyTorch's F.linear."""
    return torch.nn.functional.linear(torch.as_tensor(x), torch.as_tensor(W),
                                      torch.as_tensor(b)).numpy()


def forward_pass_softmax(z):
    """z (N, C) → softmax of each row (N, C), by torch.softmax."""
    return torch.softmax(torch.as_tensor(z, dtype=torch.float64), dim=1).numpy()


def forward_pass_parameter_count(sizes):
    """How many numbers a torch.nn.Sequential of torch.nn.Linear for `sizes` learns.

    Built on the "meta" device: shapes only, no memory, no draw from torch's generator.
    """
    layers = [torch.nn.Linear(sizes[i], sizes[i + 1], device="meta")
              for i in range(len(sizes) - 1)]
    return sum(p.numel() for p in torch.nn.Sequential(*layers).parameters())


# --- 02 backpropagation ---------------------------------------------------------------------


def backpropagation_sigmoid_backward(dout, y):
    """dout, y = σ(x): (N, D) → dx = ∂L/∂x (N, D), by autograd through torch.sigmoid."""
    x = torch.logit(torch.as_tensor(y, dtype=torch.float64)).requires_grad_()
    torch.sigmoid(x).backward(torch.as_tensor(dout, dtype=torch.float64))
    return x.grad.numpy()


def backpropagation_linear_backward(dout, x, W):
    """dout (N, out), x (N, in), W (out, in) → (dx (N, in), dW (out, in), db (out,)) of
    out = x Wᵀ + b, by autograd through F.linear."""
    x_t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    W_t = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    b_t = torch.zeros(W_t.shape[0], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.linear(x_t, W_t, b_t).backward(torch.as_tensor(dout, dtype=torch.float64))
    return x_t.grad.numpy(), W_t.grad.numpy(), b_t.grad.numpy()


def backpropagation_tanh_neuron_gradient(x, w, b, y):
    """∂L/∂w of L = (tanh(w·x + b) − y)², by PyTorch's autograd: a float."""
    w_t = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    ((torch.tanh(w_t * x + b) - y) ** 2).backward()
    return w_t.grad.item()


def backpropagation_tanh_neuron_mistakes(x, w, b, y):
    """What typical slips in ∂L/∂w of L = (tanh(w·x + b) − y)² give instead, by name."""
    z = w * x + b
    t, s = math.tanh(z), 1 / (1 + math.exp(-z))
    return {
        "sigmoid neuron": 2 * (s - y) * s * (1 - s) * x,    # the neuron of sections 1–3
        "sigmoid derivative": 2 * (t - y) * t * (1 - t) * x,
        "no 2": (t - y) * (1 - t * t) * x,
        "no x": 2 * (t - y) * (1 - t * t),
        "1 - z²": 2 * (t - y) * (1 - z * z) * x,
        "w for x": 2 * (t - y) * (1 - t * t) * w,
        "opposite sign": 2 * (y - t) * (1 - t * t) * x,
    }


# --- 03 loss functions ----------------------------------------------------------------------


def loss_functions_mse(pred, target):
    """pred, target: the same shape → (mean squared error, its gradient: pred's shape),
    by F.mse_loss and autograd."""
    pred_t = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    value = torch.nn.functional.mse_loss(pred_t, torch.as_tensor(target, dtype=torch.float64))
    value.backward()
    return value.item(), pred_t.grad.numpy()


def loss_functions_cross_entropy(logits, labels, reduction="mean"):
    """logits (N, C), labels (N,) → the softmax loss by F.cross_entropy: a float for
    reduction "mean", one loss per example (N,) for "none"."""
    value = torch.nn.functional.cross_entropy(torch.as_tensor(logits, dtype=torch.float64),
                                              torch.as_tensor(labels), reduction=reduction)
    return value.item() if reduction == "mean" else value.numpy()


def loss_functions_log_probabilities(logits):
    """logits (N, C) → log softmax of each row (N, C), by torch.log_softmax."""
    return torch.log_softmax(torch.as_tensor(logits, dtype=torch.float64), dim=1).numpy()


def loss_functions_bce_grad(logits, targets):
    """logits, targets (N,) → ∂/∂logits of the mean BCE with logits (N,), by
    F.binary_cross_entropy_with_logits and autograd."""
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        z, torch.as_tensor(targets, dtype=torch.float64))
    loss.backward()
    return z.grad.numpy()


# --- 04 optimizers --------------------------------------------------------------------------


def optimizers_momentum_step(p, g, velocity, lr, momentum):
    """One step of torch.optim.SGD(momentum=μ, nesterov=False) from a given velocity.

    p, g, velocity: arrays (D,) → (new p (D,), new velocity (D,)): b ← μb + g, p ← p − ηb.
    """
    param = torch.tensor(p, dtype=torch.float64)
    sgd = torch.optim.SGD([param], lr=lr, momentum=momentum, nesterov=False)
    sgd.state[param]["momentum_buffer"] = torch.tensor(velocity, dtype=torch.float64)
    param.grad = torch.tensor(g, dtype=torch.float64)
    sgd.step()
    return param.numpy().copy(), sgd.state[param]["momentum_buffer"].numpy().copy()


def optimizers_adam_step(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Step t (from 1) of torch.optim.Adam, from the averages m and v of the t − 1 steps before.

    p, g, m, v: arrays (D,) → (new p, new m, new v), each (D,); m and v uncorrected.
    """
    param = torch.tensor(p, dtype=torch.float64)
    adam = torch.optim.Adam([param], lr=lr, betas=(beta1, beta2), eps=eps, foreach=False)
    adam.state[param].update(step=torch.tensor(float(t - 1)),
                             exp_avg=torch.tensor(m, dtype=torch.float64),
                             exp_avg_sq=torch.tensor(v, dtype=torch.float64))
    param.grad = torch.tensor(g, dtype=torch.float64)
    adam.step()
    state = adam.state[param]
    return (param.numpy().copy(), state["exp_avg"].numpy().copy(),
            state["exp_avg_sq"].numpy().copy())


def optimizers_bowl_gd_path(lr, steps, start=(-4.0, 1.5), curvatures=(1.0, 20.0)):
    """GD on f = ½(a x² + b y²) in closed form: (x, y)_t = (x₀(1 − ηa)ᵗ, y₀(1 − ηb)ᵗ).

    → the points (steps + 1, 2) and f at each (steps + 1,); no box, no stopping.
    """
    factors = 1 - lr * np.asarray(curvatures, dtype=float)
    with np.errstate(over="ignore"):
        path = np.asarray(start, dtype=float) * factors ** np.arange(steps + 1)[:, None]
        losses = 0.5 * (path**2 @ np.asarray(curvatures, dtype=float))
    return path, losses


# --- 10 multimodal data ---------------------------------------------------------------------


def multimodal_data_pad_or_truncate(audio, length):
    """audio (T,) → (length,): the first `length` samples, then zeros, dtype kept, by
    torch.nn.functional.pad (a negative pad cuts from the end, a positive one adds zeros)."""
    return torch.nn.functional.pad(torch.as_tensor(np.asarray(audio)),
                                   (0, length - len(audio))).numpy()


def multimodal_data_snr_db(clean, noisy):
    """The SNR of a mix in dB: 10·log10 of the clean signal's mean square over that of
    noisy − clean, in float64 with torch."""
    clean = torch.as_tensor(np.asarray(clean, dtype=np.float64))
    noise = torch.as_tensor(np.asarray(noisy, dtype=np.float64)) - clean
    return float(10 * torch.log10(clean.square().mean() / noise.square().mean()))


def multimodal_data_normalize(train_images, images):
    """(images − μ) / σ with one μ and one σ (population, correction=0) over all pixels of
    train_images, by torch in float64: images' shape."""
    train = torch.as_tensor(np.asarray(train_images, dtype=np.float64))
    return ((torch.as_tensor(np.asarray(images, dtype=np.float64)) - train.mean())
            / train.std(correction=0)).numpy()


# --- 05 autoencoders ------------------------------------------------------------------------


def autoencoders_kl_divergence(mu, logvar):
    """KL(N(μ, σ²) ‖ N(0, 1)) by torch.distributions.kl_divergence, summed over the latent
    dimensions and averaged over the batch. mu, logvar (N, latent) → a float."""
    mu = torch.as_tensor(mu, dtype=torch.float64)
    scale = torch.as_tensor(logvar, dtype=torch.float64).exp().sqrt()
    kl = torch.distributions.kl_divergence(torch.distributions.Normal(mu, scale),
                                           torch.distributions.Normal(0.0, 1.0))
    return kl.sum(dim=1).mean().item()


def autoencoders_reparameterize(mu, logvar, eps):
    """z = μ + σ ε, ε given, by torch.distributions: ε pushed through the affine map
    N(0, 1) → N(μ, σ²) of AffineTransform(loc=μ, scale=√exp(log σ²)). (N, latent) each
    → (z (N, latent), ∂Σz/∂μ (N, latent), ∂Σz/∂log σ² (N, latent))."""
    mu = torch.tensor(mu, dtype=torch.float64, requires_grad=True)
    logvar = torch.tensor(logvar, dtype=torch.float64, requires_grad=True)
    affine = torch.distributions.AffineTransform(loc=mu, scale=logvar.exp().sqrt())
    z = affine(torch.as_tensor(eps, dtype=torch.float64))
    z.sum().backward()
    return z.detach().numpy(), mu.grad.numpy(), logvar.grad.numpy()


def autoencoders_psnr(clean, estimate):
    """10·log10(1 / MSE) over all pixels, for images in [0, 1], by F.mse_loss and
    torch.log10: a float."""
    mse = torch.nn.functional.mse_loss(torch.as_tensor(estimate, dtype=torch.float64),
                                       torch.as_tensor(clean, dtype=torch.float64))
    return (-10 * torch.log10(mse)).item()



# --- 06 GANs --------------------------------------------------------------------------------


def gans_discriminator_loss(real_logits, fake_logits):
    """BCE with label 1 on real_logits (N,) plus BCE with label 0 on fake_logits (M,), each a
    mean, by F.binary_cross_entropy_with_logits in float64: a float."""
    real = torch.as_tensor(real_logits, dtype=torch.float64).detach()
    fake = torch.as_tensor(fake_logits, dtype=torch.float64).detach()
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    return (bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))).item()


def gans_generator_loss(fake_logits):
    """The non-saturating generator loss: BCE with label 1 on fake_logits (M,), by
    F.binary_cross_entropy_with_logits in float64: a float."""
    fake = torch.as_tensor(fake_logits, dtype=torch.float64).detach()
    return torch.nn.functional.binary_cross_entropy_with_logits(
        fake, torch.ones_like(fake)).item()


def gans_discriminator_step(discriminator, real, fake, lr):
    """One torch.optim.SGD(lr) step of a copy of `discriminator` on BCE with logits (real
    labelled 1, fake 0, each a mean), from zeroed gradients → (the copy's parameters
    flattened (P,), the loss before the step). The original is not touched."""
    import copy

    model = copy.deepcopy(discriminator)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad(set_to_none=True)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    real_logits, fake_logits = model(real.detach()), model(fake.detach())
    loss = (bce(real_logits, torch.ones_like(real_logits))
            + bce(fake_logits, torch.zeros_like(fake_logits)))
    loss.backward()
    optimizer.step()
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    return flat.numpy().copy(), loss.item()


# --- 07 attention ---------------------------------------------------------------------------


def attention_scaled_dot_product(q, k, v, mask=None):
    """softmax(q kᵀ / √d, masked) v and the weights, by F.scaled_dot_product_attention in
    float64: q (L, d), k (S, d), v (S, dv), mask bool (L, S) True where query i may attend
    to key j, or None → (out (L, dv), weights (L, S)). The weights are the same call with
    the values replaced by the identity (S, S): weights @ I = weights."""
    q, k, v = (torch.as_tensor(np.asarray(t, dtype=np.float64)) for t in (q, k, v))
    mask = None if mask is None else torch.as_tensor(np.asarray(mask, dtype=bool))
    sdpa = torch.nn.functional.scaled_dot_product_attention
    out = sdpa(q, k, v, attn_mask=mask)
    weights = sdpa(q, k, torch.eye(k.shape[-2], dtype=torch.float64), attn_mask=mask)
    return out.numpy(), weights.numpy()


def attention_causal_mask(length):
    """(L, L) bool, True where position i may see position j (j ≤ i), from PyTorch's
    nn.Transformer.generate_square_subsequent_mask (−inf on the future, 0 elsewhere)."""
    return (torch.nn.Transformer.generate_square_subsequent_mask(length) == 0).numpy()


def attention_split_heads(x, num_heads):
    """x (B, L, E) → (B, H, L, E / H): the features unflattened into (H, D), the head axis
    moved before the positions, by torch's unflatten and movedim."""
    x = torch.as_tensor(np.asarray(x, dtype=np.float64))
    return x.unflatten(-1, (num_heads, -1)).movedim(-2, 1).numpy()


# --- 09 scale -------------------------------------------------------------------------------


def scale_block_parameters(n_embd):
    """The parameters of one Transformer block of width C = n_embd (attention with Q, K, V
    and output projections, an MLP C → 4C → C, two layer norms), counted on PyTorch's own
    nn.TransformerEncoderLayer built with those sizes."""
    layer = torch.nn.TransformerEncoderLayer(d_model=n_embd, nhead=1,
                                             dim_feedforward=4 * n_embd)
    return sum(p.numel() for p in layer.parameters())


_DTYPES = {2: torch.bfloat16, 4: torch.float32, 8: torch.float64}


def scale_adam_training_bytes(parameters, bytes_per_value):
    """Bytes that training with Adam holds per model, measured: a tensor of `parameters`
    values of `bytes_per_value` bytes (2, 4 or 8), one torch.optim.Adam step, then the bytes
    of the weights, of their gradient and of every state tensor Adam allocated."""
    weights = torch.zeros(parameters, dtype=_DTYPES[bytes_per_value], requires_grad=True)
    optimizer = torch.optim.Adam([weights], foreach=False)
    weights.sum().backward()
    optimizer.step()
    states = [t for t in optimizer.state[weights].values() if t.dim() > 0]
    return sum(t.numel() * t.element_size() for t in [weights, weights.grad, *states])


def scale_training_flops(parameters, tokens):
    """Training FLOPs of `parameters` weights on `tokens` tokens, counted by PyTorch's
    FlopCounterMode over one forward and backward pass of a bias-free linear layer with
    that many weights, inside a network (its input needs a gradient too)."""
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.zeros(tokens, parameters, requires_grad=True)
    layer = torch.nn.Linear(parameters, 1, bias=False)
    with FlopCounterMode(display=False) as counter:
        layer(x).sum().backward()
    return counter.get_total_flops()


# --- 08 transformers_bert_gpt ---------------------------------------------------------------


def transformers_next_token_probs(logits, temperature, top_k=None):
    """Sampling's distribution over the next token, by sorting: logits (..., V) divided by
    the temperature, every logit outside the top_k largest (by a descending sort, so
    exactly k kept when there are no ties) sent to −inf, then torch's softmax."""
    z = torch.as_tensor(np.asarray(logits, dtype=np.float64)) / temperature
    if top_k is not None and top_k < z.shape[-1]:
        order = torch.argsort(z, dim=-1, descending=True)
        outside = torch.zeros_like(z, dtype=torch.bool).scatter(-1, order[..., top_k:], True)
        z = z.masked_fill(outside, float("-inf"))
    return torch.nn.functional.softmax(z, dim=-1).numpy()


def transformers_next_token_rows(ids, pad_id=0, ignore_index=-1):
    """ids (N, L) → (inputs (N, L − 1), targets (N, L − 1)) by torch.narrow: the targets are
    the ids one step ahead, with `ignore_index` where they are padding."""
    ids = torch.as_tensor(np.asarray(ids, dtype=np.int64))
    length = ids.shape[1] - 1
    inputs, ahead = ids.narrow(1, 0, length), ids.narrow(1, 1, length)
    return inputs.numpy(), torch.where(ahead == pad_id, ignore_index, ahead).numpy()


def transformers_bert_mask(ids, pick, draw, random_words, rate, special_ids, mask_id):
    """BERT's 80/10/10 masking from given draws, by torch.isin and torch.bucketize: the
    words (ids not in `special_ids`) with pick < rate are chosen; a chosen word becomes
    `mask_id` (draw < 0.8), `random_words` (0.8 ≤ draw < 0.9) or stays (draw ≥ 0.9); the
    labels are the chosen words' ids, −100 elsewhere. → (inputs, labels) as NumPy."""
    ids, pick, draw, random_words = (torch.as_tensor(np.asarray(a))
                                     for a in (ids, pick, draw, random_words))
    chosen = ~torch.isin(ids, torch.as_tensor(list(special_ids))) & (pick < rate)
    kind = torch.bucketize(draw, torch.tensor([0.8, 0.9], dtype=draw.dtype), right=True)
    replacement = torch.stack([torch.full_like(ids, mask_id), random_words, ids])
    inputs = torch.where(chosen, replacement.gather(0, kind[None]).squeeze(0), ids)
    return inputs.numpy(), torch.where(chosen, ids, -100).numpy()


# --- 11 encoders ----------------------------------------------------------------------------


def encoders_conv_output_size(size, kernel, stride, padding):
    """One side of a convolution's output, read off PyTorch's F.conv2d on zeros."""
    out = torch.nn.functional.conv2d(torch.zeros(1, 1, size, size),
                                     torch.zeros(1, 1, kernel, kernel),
                                     stride=stride, padding=padding)
    return int(out.shape[-1])


def encoders_conv2d_single(image, kernel):
    """image (H, W), kernel (kH, kW) → the 'valid' cross-correlation, by F.conv2d."""
    image, kernel = (torch.tensor(np.array(a, dtype=np.float64))[None, None]
                     for a in (image, kernel))
    return torch.nn.functional.conv2d(image, kernel)[0, 0].numpy()


def encoders_lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    """(h', c') of one step, by torch.nn.LSTMCell with these weights."""
    cell = torch.nn.LSTMCell(x.shape[1], h.shape[1]).double()
    with torch.no_grad():
        for name, value in (("weight_ih", weight_ih), ("weight_hh", weight_hh),
                            ("bias_ih", bias_ih), ("bias_hh", bias_hh)):
            getattr(cell, name).copy_(torch.as_tensor(value, dtype=torch.float64))
        h_new, c_new = cell(torch.as_tensor(x, dtype=torch.float64),
                            (torch.as_tensor(h, dtype=torch.float64),
                             torch.as_tensor(c, dtype=torch.float64)))
    return h_new.numpy(), c_new.numpy()


def encoders_last_real_frame(outputs, lengths):
    """outputs (N, T, H), lengths (N,) → (N, H) at step lengths − 1, by torch.gather."""
    outputs = torch.as_tensor(outputs, dtype=torch.float64)
    index = (torch.as_tensor(lengths, dtype=torch.long) - 1)[:, None, None]
    return outputs.gather(1, index.expand(-1, 1, outputs.shape[2]))[:, 0].numpy()


# --- 13 multimodal_pipeline -----------------------------------------------------------------


def pipeline_macro_f1(y_true, y_pred, num_classes):
    """Macro F1 by one-hot counts in torch: per class k, F1 = 2·TP / (2·TP + FP + FN) (the
    same as the harmonic mean of precision and recall, 0 where 0/0), averaged with equal
    weight over the classes that occur in y_true or y_pred."""
    true = torch.nn.functional.one_hot(torch.as_tensor(np.asarray(y_true)), num_classes)
    pred = torch.nn.functional.one_hot(torch.as_tensor(np.asarray(y_pred)), num_classes)
    tp = (true * pred).sum(0).double()
    fp, fn = (pred.sum(0) - tp), (true.sum(0) - tp)
    denominator = 2 * tp + fp + fn
    f1 = torch.where(denominator > 0, 2 * tp / denominator.clamp(min=1), torch.zeros_like(tp))
    seen = (true.sum(0) + pred.sum(0)) > 0
    return float(f1[seen].mean())


def pipeline_choose_epoch(val_curve, test_curve):
    """(epoch, accuracy to report): the first epoch with the highest validation accuracy,
    by a stable sort, and the test accuracy at that epoch."""
    order = sorted(range(len(val_curve)), key=lambda epoch: -float(val_curve[epoch]))
    return order[0], float(test_curve[order[0]])


def pipeline_recall_per_class(matrix):
    """Recall per class from a confusion matrix (rows true, columns predicted), by torch:
    the diagonal over the row sums, 0 for a class without samples."""
    counts = torch.as_tensor(np.asarray(matrix), dtype=torch.float64)
    support = counts.sum(dim=1)
    return torch.where(support > 0, counts.diagonal() / support.clamp(min=1),
                       torch.zeros_like(support)).numpy()


# --- 12 fusion_strategies -------------------------------------------------------------------


def fusion_strategies_fuse_features(train_features, features):
    """Each modality's columns standardised with its training columns' mean and population
    std (torch, correction=0, float64), then concatenated: (N, Σ d_k)."""
    parts = []
    for train, other in zip(train_features, features, strict=True):
        train = torch.as_tensor(np.asarray(train, dtype=np.float64))
        other = torch.as_tensor(np.asarray(other, dtype=np.float64))
        parts.append((other - train.mean(dim=0)) / train.std(dim=0, correction=0))
    return torch.cat(parts, dim=1).numpy()


def fusion_strategies_mask_features(features, present, widths):
    """features (N, Σ d_k) with each missing modality's columns zeroed: the mask bits
    repeated over each modality's width by torch.repeat_interleave."""
    bits = torch.as_tensor(np.asarray(present, dtype=bool))
    mask = bits.repeat_interleave(torch.tensor(list(widths)), dim=1)
    return (torch.as_tensor(np.asarray(features, dtype=np.float64)) * mask).numpy()


def fusion_strategies_late_mean(probs, present):
    """The mean over the present modalities of probs (N, M, C), by torch.einsum with the
    mask normalised per row; a row with none present gets the uniform 1/C."""
    p = torch.as_tensor(np.asarray(probs, dtype=np.float64))
    m = torch.as_tensor(np.asarray(present, dtype=np.float64))
    count = m.sum(dim=1, keepdim=True)
    mean = torch.einsum("nm,nmc->nc", m / count.clamp(min=1), p)
    return torch.where(count > 0, mean, torch.full_like(mean, 1 / p.shape[2])).numpy()


# --- 14 missing_and_noisy_data --------------------------------------------------------------


def missing_impute_training_mean(X_train, X, known):
    """X with each missing entry (known False) replaced by its column's mean over X_train:
    torch.nanmean over the training rows, torch.where to keep the known entries."""
    train = torch.as_tensor(np.asarray(X_train, dtype=np.float64))
    values = torch.as_tensor(np.nan_to_num(np.asarray(X, dtype=np.float64)))
    mask = torch.as_tensor(np.asarray(known, dtype=bool))
    return torch.where(mask, values, torch.nanmean(train, dim=0).expand_as(values)).numpy()


def missing_modality_dropout(present, draws, p, training):
    """While training: present & (draws ≥ p), a row left with nothing restored to present;
    at evaluation: present. In torch, rows counted with .sum rather than .any."""
    present = torch.as_tensor(np.asarray(present, dtype=bool))
    if not training:
        return present.numpy().copy()
    draws = torch.as_tensor(np.asarray(draws, dtype=np.float64))
    kept = present & (draws >= torch.as_tensor(np.asarray(p, dtype=np.float64)))
    empty = kept.sum(dim=1, keepdim=True) == 0
    return torch.where(empty, present, kept).numpy()


def missing_adaptation_split(labels, k):
    """(adapt, evaluate): the first k // C indices of each of the C digits (stable sort by
    label), and the sorted rest."""
    labels = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    digits = torch.unique(labels)
    per_digit = k // len(digits)
    order = torch.sort(labels, stable=True).indices
    chosen = torch.cat([order[labels[order] == d][:per_digit] for d in digits])
    chosen = torch.sort(chosen).values
    rest = torch.tensor(sorted(set(range(len(labels))) - set(chosen.tolist())),
                        dtype=torch.int64)
    return chosen.numpy(), rest.numpy()


# --- 15 limited_compute ---------------------------------------------------------------------


def limited_median_latency_ms(seconds, warmup):
    """The median of the call durations (seconds) after the first `warmup`, in ms:
    torch.quantile at 0.5 (the middle value for an odd count)."""
    timed = torch.as_tensor(np.asarray(seconds, dtype=np.float64)[warmup:])
    return float(torch.quantile(timed, 0.5)) * 1e3


def limited_epoch_shards(n, rank, world_size, epochs, seed):
    """(epochs, ceil(n / world_size)): the indices torch's DistributedSampler (shuffle, the
    same seed on every rank, set_epoch(e) before epoch e) gives `rank` of `world_size`."""
    from torch.utils.data import DistributedSampler

    sampler = DistributedSampler(range(n), num_replicas=world_size, rank=rank,
                                 shuffle=True, seed=seed)
    shards = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        shards.append(list(sampler))
    return np.array(shards, dtype=np.int64)


def limited_scaled_learning_rate(base_lr, base_batch, per_process_batch, processes):
    """The linear scaling rule: η · B_global / B_base, with B_global = b · k processes."""
    global_batch = torch.tensor(per_process_batch, dtype=torch.float64) * processes
    return float(base_lr * global_batch / base_batch)
