"""Simple per-modality baselines: logistic regression on flat features of each modality.

They measure how much each modality tells about the digit on its own, and
what simply concatenating the three (early fusion) gets: the yardsticks that
the difficulty presets are calibrated with and that fusion must beat.
"""

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mmkit.data.dataset import MMDigits


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


def text_vectorizer(train: MMDigits) -> CountVectorizer:
    """Bag of words (and word pairs) over the training split's cleaned clues."""
    return CountVectorizer(token_pattern=r"\S+", ngram_range=(1, 2)).fit(train.clean_clues)


def baseline_accuracies(train: MMDigits, test: MMDigits, seed: int = 0) -> dict[str, float]:
    """Test accuracy of logistic regression on text, image, audio, and all three concatenated."""
    vectorizer = text_vectorizer(train)
    features = {
        "text": lambda d: vectorizer.transform(d.clean_clues).toarray(),
        "image": image_features,
        "audio": audio_features,
    }
    features["all three"] = lambda d: np.hstack([f(d) for f in list(features.values())[:3]])
    scores = {}
    for name, extract in features.items():
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000,
                                                                   random_state=seed))
        model.fit(extract(train), train.labels)
        scores[name] = float(model.score(extract(test), test.labels))
    return scores
