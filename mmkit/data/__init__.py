"""Data: what the notebooks train on, and how each modality is prepared for a model.

    digits.py     scikit-learn's 8×8 handwritten digits: train / validation / test
    toy.py        two moons: a 2-D toy set for decision boundaries
    language.py   the digit language: clues that name, compute or hint at a digit
    build.py      builds data/mmdigits (eSpeak NG voices): run once by maintainers
    dataset.py    MMDigits, the tri-modal data set (text, image, audio), and collate
    text.py       text cleaning, BERT WordPiece tokens, a word vocabulary
    image.py      resize, ImageNormalizer, pad; noise, occlusion, shifts
    audio.py      load, trim, normalise, pad; noise at an SNR over the padded window;
                  log-mel (one clip or a batch), MFCC; per-band LogMelNormalizer
    baselines.py  logistic regression on each modality: the yardsticks; the clue left
                  in a clip's duration

Which loader for which data: the digits alone (notebooks 01–04) come from
`digits.load_digits_split`; the image, the spoken clip and the clue of one
mmdigits sample (notebooks 10 onwards) from `dataset.MMDigits`.
"""
