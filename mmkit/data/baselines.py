"""Simple per-modality baselines: logistic regression on flat features of each modality.

They measure how much each modality tells about the digit on its own, and
what simply concatenating the three (early fusion) gets: the yardsticks that
the difficulty presets are calibrated with (on the validation split) and that
fusion must beat.

    logistic_regression      the one recipe: standardised features, logistic regression
    image_features           the degraded 8×8 pixels, (N, 64)
    audio_features           mean and std of each log-mel band, (N, 80)
    text_vectorizer          bag of words and word pairs, fitted on training texts
    text_baseline_predictions, text_baseline_accuracy   the recipe on any texts (e.g.
                             cleaned another way): its predictions, its accuracy
    baseline_accuracies      the recipe on each modality and on all three
    duration_predictions, duration_accuracy   the recipe on the clip's duration alone: a
                             clue left in the data
"""

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from mmkit.data.dataset import MMDigits


def logistic_regression(seed: int = 0) -> Pipeline:
    """The baseline classifier: standardise each feature (training statistics), then
    logistic regression with C = 0.1 (a strong L2 penalty: many features, few samples)."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000,
                                                              random_state=seed))


def image_features(data: MMDigits) -> np.ndarray:
    """The degraded 8×8 images, flattened: (N, 64)."""
    return data.images_8x8.reshape(len(data), -1)


def audio_features(data: MMDigits) -> np.ndarray:
    """Mean and standard deviation of each log-mel band over the clip's frames: (N, 80)."""
    rows = []
    for frames, length in zip(data.audio, data.audio_lengths, strict=True):
        frames = frames[:max(int(length), 1)]
        rows.append(np.concatenate([frames.mean(axis=0), frames.std(axis=0)]))
    return np.stack(rows)


def text_vectorizer(train_texts: Sequence[str]) -> CountVectorizer:
    """Bag of words (and word pairs) over the training texts; words are split at spaces."""
    return CountVectorizer(token_pattern=r"\S+", ngram_range=(1, 2)).fit(train_texts)


def text_baseline_predictions(train_texts: Sequence[str], train_labels: np.ndarray,
                              eval_texts: Sequence[str], seed: int = 0) -> np.ndarray:
    """The text baseline trained on the training texts, predicting the evaluation texts.

    train_texts (N,), train_labels (N,), eval_texts (M,) → predicted digits (M,) int64.
    """
    if len(train_texts) != len(train_labels):
        raise ValueError(f"text_baseline: {len(train_texts)} training texts for "
                         f"{len(train_labels)} labels; expected one label per text")
    if not any(text.strip() for text in train_texts):
        raise ValueError("text_baseline: every training text is empty: no words left to "
                         "learn from")
    vectorizer = text_vectorizer(train_texts)
    model = logistic_regression(seed).fit(vectorizer.transform(train_texts).toarray(),
                                          train_labels)
    return model.predict(vectorizer.transform(eval_texts).toarray()).astype(np.int64)


def text_baseline_accuracy(train_texts: Sequence[str], train_labels: np.ndarray,
                           eval_texts: Sequence[str], eval_labels: np.ndarray,
                           seed: int = 0) -> float:
    """Accuracy on the evaluation texts of the text baseline trained on the training texts.

    train_texts (N,), train_labels (N,), eval_texts (M,), eval_labels (M,) → a float.
    Evaluate on the validation split to choose (a cleaning, say); on test only once.
    """
    if len(eval_texts) != len(eval_labels):
        raise ValueError(f"text_baseline: {len(eval_texts)} evaluation texts for "
                         f"{len(eval_labels)} labels; expected one label per text")
    predictions = text_baseline_predictions(train_texts, train_labels, eval_texts, seed)
    return float(np.mean(predictions == np.asarray(eval_labels)))


def baseline_accuracies(train: MMDigits, held_out: MMDigits, seed: int = 0
                        ) -> dict[str, float]:
    """Accuracy on `held_out` of the baseline on text, image, audio, and all three concatenated.

    held_out: the validation split for any choice (such as calibrating a preset).
    """
    vectorizer = text_vectorizer(train.clean_clues)
    features = {
        "text": lambda d: vectorizer.transform(d.clean_clues).toarray(),
        "image": image_features,
        "audio": audio_features,
    }
    features["all three"] = lambda d: np.hstack([f(d) for f in list(features.values())[:3]])
    scores = {}
    for name, extract in features.items():
        model = logistic_regression(seed).fit(extract(train), train.labels)
        scores[name] = float(model.score(extract(held_out), held_out.labels))
    return scores


def duration_predictions(train: MMDigits, held_out: MMDigits, seed: int = 0) -> np.ndarray:
    """The recipe given only each clip's duration (`audio_lengths`, in frames), trained on
    `train`, predicting `held_out`: (M,) int64 digits."""
    model = logistic_regression(seed).fit(train.audio_lengths[:, None].astype(float),
                                          train.labels)
    return model.predict(held_out.audio_lengths[:, None].astype(float)).astype(np.int64)


def duration_accuracy(train: MMDigits, held_out: MMDigits, seed: int = 0) -> float:
    """Accuracy on `held_out` of `duration_predictions`: how much the length of the spoken
    word tells about the digit by itself. Chance is 0.1; anything above is a clue a model
    can use without hearing the word (`audio_length` hands it over)."""
    return float(np.mean(duration_predictions(train, held_out, seed) == held_out.labels))
