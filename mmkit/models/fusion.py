"""Fusion strategies: how a model combines the text, image and audio of an mmdigits sample.

Libraries and papers disagree on the names, so the kit fixes its terms here. Each
modality first goes through its encoder (`mmkit.models.encoders`): batch → (N, d_k)
features, an all-zero row where the modality is missing. The strategies differ in
*where* the modalities meet:

    feature-level (early)     EarlyFusion: the encoders' features are concatenated, with
                              the modality mask, and ONE joint head (an MLP) classifies
                              them. Aliases: "early", "feature".
    model-level (late,        LateFusion: one encoder + head PER modality, each predicting
    decision-level)           the class on its own; their predicted probabilities are
                              averaged, by a plain mean, fixed weights or learned weights,
                              over the PRESENT modalities only. Aliases: "late", "model",
                              "decision".
    hierarchical              HierarchicalFusion: representations fused in stages, e.g.
    (intermediate)            image + audio first, then that with the text; each stage a
                              ReLU(Linear) over the previous stage and the new features.
                              Aliases: "hierarchical", "intermediate".
    attention fusion          AttentionFusion: each modality's features become a token of
                              width D; a learned softmax over the present modalities'
                              tokens weighs them ("weights"), optionally after a small
                              Transformer block in which the tokens attend to each other
                              ("transformer", the kit's MultiHeadAttention with a key
                              padding mask). The weights are kept for plotting.

Every model maps a `mmkit.data.dataset.collate` batch to logits (N, num_classes) and reads
`batch["present"]` (N, 3), one column per modality of MODALITIES (text, image, audio),
combined with what each encoder counts as present (a clue cleaned away to no tokens is
missing). A missing modality is handled, never crashed on: early and hierarchical fusion
see its zero features and a 0 in the mask they are given; late and attention fusion leave
it out entirely (its weight is exactly 0, the others are renormalised); a row with no
modality at all gets logits of 0 (a uniform guess) from late fusion and one learned
constant guess (the same for every such row) from the others. A mask of the wrong shape
raises ValueError naming the expected shape; a batch without a key an encoder needs raises
KeyError listing the keys.

    model = build_fusion("late", combine="learned")       # default encoders, see below
    history = fit_classifier(model, train_batch, val_batch, epochs=8)
    model(val_batch)                                      # logits (N, 10)
    model.modality_weights(val_batch)                     # (N, 3), rows sum to 1

Read top to bottom: the base (encoders and the mask), the four strategies, `build_fusion`.
"""

from collections.abc import Mapping, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from mmkit.data.dataset import MODALITIES
from mmkit.models.attention import MultiHeadAttention
from mmkit.models.encoders import AudioLSTM, BagOfWords, Encoder, ImageCNN, TextEncoder
from mmkit.validate import check_count, check_positive, format_shape, lookup

Batch = Mapping[str, torch.Tensor]


# --- base: the encoders and the modality mask -----------------------------------------------

def default_encoders(out_features: int = 64, text: str = "bag_of_words"
                     ) -> dict[str, Encoder]:
    """One fresh encoder per modality: {"text": BagOfWords or TextEncoder (text="minilm"),
    "image": ImageCNN, "audio": AudioLSTM}, each → (N, out_features)."""
    text_encoder = lookup(text, {"bag_of_words": BagOfWords, "minilm": TextEncoder},
                          "text encoder")
    return {"text": text_encoder(out_features), "image": ImageCNN(out_features),
            "audio": AudioLSTM(out_features)}


class FusionModel(nn.Module):
    """What every strategy shares: `encoders`, an nn.ModuleDict modality → Encoder, kept in
    the order of MODALITIES (a subset is allowed, e.g. image and audio only), and `mask`."""

    def __init__(self, encoders: Mapping[str, Encoder] | None, num_classes: int = 10):
        super().__init__()
        encoders = default_encoders() if encoders is None else dict(encoders)
        if not encoders:
            raise ValueError(f"encoders: expected at least one of {MODALITIES}, got none")
        for name, encoder in encoders.items():
            lookup(name, MODALITIES, "modality")
            if not isinstance(encoder, Encoder) or encoder.modality != name:
                raise ValueError(f"encoders[{name!r}]: expected an Encoder of the {name} "
                                 f"modality, got {type(encoder).__name__}")
        self.modalities = tuple(m for m in MODALITIES if m in encoders)
        self.encoders = nn.ModuleDict({m: encoders[m] for m in self.modalities})
        self.num_classes = check_count(num_classes, "num_classes", minimum=2)

    def mask(self, batch: Batch) -> torch.Tensor:
        """(N, M) bool, M = len(self.modalities): True where the modality is present.

        Checks `batch["present"]` is (N, 3), N the batch's rows, else ValueError."""
        if "present" not in batch:
            raise KeyError(f"{type(self).__name__} needs the batch key 'present' (N, "
                           f"{len(MODALITIES)}); the batch has {sorted(batch)}")
        present = batch["present"]
        rows = len(batch["label"]) if "label" in batch else len(present)
        expected = (rows, len(MODALITIES))
        if tuple(present.shape) != expected:
            raise ValueError(f"present (one column per modality {MODALITIES}): expected shape "
                             f"{format_shape(expected)}, got {format_shape(tuple(present.shape))}")
        return torch.stack([self.encoders[m].rows(batch) for m in self.modalities], dim=1)

    def features(self, batch: Batch) -> list[torch.Tensor]:
        """Each encoder's features, [(N, d_k)] in the order of `modalities` (zeros where
        missing)."""
        return [self.encoders[m](batch) for m in self.modalities]


# --- feature-level (early) fusion -------------------------------------------------------------

class EarlyFusion(FusionModel):
    """Concatenate, then one joint model:

    [f_text | f_image | f_audio | mask]   (N, Σ d_k + M), mask as 0/1
    → ReLU(Linear(·, hidden))               (N, hidden)
    → Linear(hidden, num_classes)           (N, num_classes)
    The mask tells the head which zero rows mean "missing" rather than "no activation".
    """

    def __init__(self, encoders: Mapping[str, Encoder] | None = None, num_classes: int = 10,
                 hidden: int = 64):
        super().__init__(encoders, num_classes)
        width = sum(e.out_features for e in self.encoders.values()) + len(self.modalities)
        self.head = nn.Sequential(nn.Linear(width, check_count(hidden, "hidden", 1)), nn.ReLU(),
                                  nn.Linear(hidden, num_classes))

    def forward(self, batch: Batch) -> torch.Tensor:
        mask = self.mask(batch)
        joined = torch.cat([*self.features(batch), mask.float()], dim=1)
        return self.head(joined)


# --- model-level (late, decision) fusion ----------------------------------------------------------

COMBINES = ("mean", "weighted", "learned")


class LateFusion(FusionModel):
    """One model per modality, their predictions combined:

    p_k = softmax(Linear_k(f_k))                  (N, C) per modality k, its own head
    w_k: 1 ("mean"), fixed `weights` ("weighted") or softmax of a learned (M,) ("learned")
    a_nk = w_k [k present in row n] / Σ_j w_j [j present in row n]      (N, M)
    p = Σ_k a_nk p_k,  logits = log p                                  (N, C)
    A missing modality's weight a_nk is exactly 0, so its head's output cannot matter; a
    row with nothing present gets logits 0. The logits are log-probabilities, so
    `F.cross_entropy` trains the combination end to end; `modality_logits` gives each
    head's own logits (to train or read each model alone).
    """

    def __init__(self, encoders: Mapping[str, Encoder] | None = None, num_classes: int = 10,
                 combine: str = "mean", weights: Sequence[float] | None = None):
        super().__init__(encoders, num_classes)
        self.combine = lookup(combine, COMBINES, "combine")
        self.heads = nn.ModuleDict({m: nn.Linear(e.out_features, num_classes)
                                    for m, e in self.encoders.items()})
        m = len(self.modalities)
        if combine == "weighted":
            if weights is None or len(weights) != m:
                raise ValueError(f"weights: expected {m} positive numbers, one per modality "
                                 f"{self.modalities}, got {weights!r}")
            log_w = torch.tensor([float(check_positive(w, "weights")) for w in weights]).log()
        elif weights is not None:
            raise ValueError(f"weights: only with combine='weighted', got combine={combine!r}")
        else:
            log_w = torch.zeros(m)
        if combine == "learned":
            self.log_weights = nn.Parameter(log_w)
        else:
            self.register_buffer("log_weights", log_w)

    def modality_logits(self, batch: Batch) -> torch.Tensor:
        """(N, M, C): each modality's head on its own features."""
        return torch.stack([self.heads[m](f) for m, f in zip(self.modalities,
                                                            self.features(batch), strict=True)],
                           dim=1)

    def _log_weights(self, mask: torch.Tensor) -> torch.Tensor:
        """(N, M) log a_nk: a log-softmax of log w over the present modalities; a missing
        one gets −10⁴ (exp underflows to exactly 0: no −inf, so no NaN in gradients)."""
        scores = self.log_weights.expand(mask.shape).masked_fill(~mask, -1e4)
        return torch.log_softmax(scores, dim=1)

    def modality_weights(self, batch: Batch) -> torch.Tensor:
        """(N, M) a_nk: the weight of each modality's prediction per row; rows sum to 1 over
        the present modalities (all 0 for a row with none)."""
        mask = self.mask(batch)
        return self._log_weights(mask).exp() * mask.any(dim=1, keepdim=True)

    def forward(self, batch: Batch) -> torch.Tensor:
        mask = self.mask(batch)
        log_p = torch.log_softmax(self.modality_logits(batch), dim=2)       # (N, M, C)
        combined = torch.logsumexp(self._log_weights(mask)[:, :, None] + log_p, dim=1)
        return torch.where(mask.any(dim=1, keepdim=True), combined, torch.zeros_like(combined))


# --- hierarchical (intermediate) fusion ---------------------------------------------------------

class HierarchicalFusion(FusionModel):
    """Fuse in stages, e.g. stages=(("image", "audio"), ("text",)):

    h_1 = ReLU(Linear([f_image | f_audio | m_image, m_audio]))   (N, hidden): the pair
    h_2 = ReLU(Linear([h_1 | f_text | m_text]))                   (N, hidden): then the text
    logits = Linear(h_last, num_classes)                          (N, num_classes)
    Each stage sees its modalities' features and their mask bits (0 where missing).
    """

    def __init__(self, encoders: Mapping[str, Encoder] | None = None, num_classes: int = 10,
                 hidden: int = 64,
                 stages: Sequence[Sequence[str]] = (("image", "audio"), ("text",))):
        super().__init__(encoders, num_classes)
        self.stages = tuple(tuple(stage) for stage in stages)
        named = [m for stage in self.stages for m in stage]
        if not self.stages or not all(self.stages) or sorted(named) != sorted(self.modalities):
            raise ValueError(f"stages: expected non-empty groups naming each modality "
                             f"{self.modalities} once, got {stages!r}")
        hidden = check_count(hidden, "hidden", minimum=1)
        self.fuse = nn.ModuleList()
        previous = 0
        for stage in self.stages:
            width = previous + sum(self.encoders[m].out_features + 1 for m in stage)
            self.fuse.append(nn.Linear(width, hidden))
            previous = hidden
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, batch: Batch) -> torch.Tensor:
        mask = self.mask(batch).float()
        features = dict(zip(self.modalities, self.features(batch), strict=True))
        column = {m: i for i, m in enumerate(self.modalities)}
        h = mask.new_zeros(len(mask), 0)
        for stage, layer in zip(self.stages, self.fuse, strict=True):
            parts = [h, *(features[m] for m in stage), mask[:, [column[m] for m in stage]]]
            h = F.relu(layer(torch.cat(parts, dim=1)))
        return self.head(h)


# --- attention fusion -----------------------------------------------------------------------------

class AttentionFusion(FusionModel):
    """Learned weights over the modalities, computed per sample:

    t_k = Linear_k(f_k) + e_k             (N, M, D) a token per modality (e_k: a learned
                                          modality embedding)
    [mode "transformer": t = LayerNorm(t + MHA(t, t, t, key_padding_mask=missing)), then
     t = LayerNorm(t + MLP(t)): the present tokens attend to each other]
    α = softmax over PRESENT k of MHA(q, t, t)'s weights, q a learned query   (N, M)
    fused = MHA output (Σ_k α_k W_v t_k, projected)                        (N, D)
    logits = Linear(ReLU(Linear(fused)))                                   (N, num_classes)
    α is exactly 0 on a missing modality and sums to 1 over the present ones (0 everywhere
    for a row with none): `modality_weights(batch)` returns it, `last_weights` keeps the
    latest forward's, for plotting.
    """

    def __init__(self, encoders: Mapping[str, Encoder] | None = None, num_classes: int = 10,
                 dim: int = 64, heads: int = 1, mode: str = "weights", hidden: int = 64):
        super().__init__(encoders, num_classes)
        self.mode = lookup(mode, ("weights", "transformer"), "attention mode")
        dim = check_count(dim, "dim", minimum=1)
        self.tokens = nn.ModuleDict({m: nn.Linear(e.out_features, dim)
                                     for m, e in self.encoders.items()})
        self.modality_embedding = nn.Parameter(0.02 * torch.randn(len(self.modalities), dim))
        if mode == "transformer":
            self.self_attention = MultiHeadAttention(dim, heads)
            self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
            self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.query = nn.Parameter(0.02 * torch.randn(1, 1, dim))
        self.pool = MultiHeadAttention(dim, 1)
        self.head = nn.Sequential(nn.Linear(dim, check_count(hidden, "hidden", 1)), nn.ReLU(),
                                  nn.Linear(hidden, num_classes))
        self.last_weights: torch.Tensor | None = None

    def _attend(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(fused (N, D), weights α (N, M))."""
        missing = ~self.mask(batch)                                          # (N, M)
        tokens = torch.stack([self.tokens[m](f) for m, f in zip(self.modalities,
                                                               self.features(batch),
                                                               strict=True)], dim=1)
        tokens = tokens + self.modality_embedding                          # (N, M, D)
        if self.mode == "transformer":
            attended, _ = self.self_attention(tokens, tokens, tokens, key_padding_mask=missing)
            tokens = self.norm1(tokens + attended)
            tokens = self.norm2(tokens + self.mlp(tokens))
        query = self.query.expand(len(tokens), 1, -1)                       # (N, 1, D)
        fused, weights = self.pool(query, tokens, tokens, key_padding_mask=missing)
        return fused[:, 0], weights[:, 0]                                   # (N, D), (N, M)

    def modality_weights(self, batch: Batch) -> torch.Tensor:
        """(N, M) α: the weight of each modality per row (0 where missing)."""
        return self._attend(batch)[1]

    def forward(self, batch: Batch) -> torch.Tensor:
        fused, weights = self._attend(batch)
        self.last_weights = weights.detach()
        return self.head(fused)


# --- one constructor by name ----------------------------------------------------------------------

FUSIONS: dict[str, type[FusionModel]] = {
    "early": EarlyFusion, "feature": EarlyFusion,
    "late": LateFusion, "model": LateFusion, "decision": LateFusion,
    "hierarchical": HierarchicalFusion, "intermediate": HierarchicalFusion,
    "attention": AttentionFusion,
}


def build_fusion(name: str, encoders: Mapping[str, Encoder] | None = None,
                 num_classes: int = 10, **options) -> FusionModel:
    """The fusion model called `name` (see FUSIONS: "early"/"feature", "late"/"model"/
    "decision", "hierarchical"/"intermediate", "attention") on `encoders` (default:
    `default_encoders()`); `options` go to its class (e.g. combine="learned" for late,
    mode="transformer" for attention). An unknown name raises ValueError listing them."""
    return lookup(name, FUSIONS, "fusion")(encoders, num_classes, **options)
