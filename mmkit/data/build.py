"""Build the mmdigits data set in data/mmdigits/: `python -m mmkit.data.build`.

Needs the `espeak-ng` program (Debian/Ubuntu: `apt-get install espeak-ng`);
the notebooks and tests only read what this wrote, which is committed.
Running it again with the same eSpeak NG version rewrites the same files.

What it makes, all from one seed:
- 1,740 samples, 174 per digit (the size of the rarest digit in scikit-learn's
  8×8 digits), each pairing one of those images with its own spoken clip;
- clips: the digit's name spoken by eSpeak NG with one of 96 voices (8 English
  accents × 12 voice variants), a random speed and pitch, resampled to 8 kHz
  mono, silence trimmed to 50 ms, stored as 16-bit FLAC;
- splits by voice: 64 voices for training, 16 for validation, 16 for testing,
  so the test set is spoken by voices never heard in training (as with real
  speakers); images are split 120 / 27 / 27 per digit; no image, clip or voice
  is in two splits;
- `clips.csv` (file, digit, voice, accent, variant, speed, pitch, split,
  sha256) and `samples.csv` (sample, split, digit, image, clip).
Clues are not stored: `mmkit.data.language` writes them when the data is
loaded, at the informativeness the difficulty preset asks for.

`python -m mmkit.data.build --voices` writes data/voices/ instead: the ten
digits spoken by other synthesisers, for the audio model that must hold up on
real speech (notebook 14). eSpeak NG is a formant synthesiser: its voices are
made of rules, none of them of a human recording, and a model trained on them
alone transfers poorly to people. Flite's and Festival's diphone and HTS voices
are cut from (or trained on) recordings of real speakers. It needs `flite`,
`festival` and the voices `festvox-kallpc8k`, `festvox-kdlpc8k` and
`festvox-us-slt-hts` (Debian or Ubuntu packages), and writes
- 8 voices (`VOICES`) × 10 digits × 3 durations (`STRETCHES`: slower, as
  the voice speaks, faster) = 240 clips, 8 kHz mono 16-bit FLAC, silence
  trimmed as above; nothing is drawn at random, so the same tools rewrite
  the same files;
- `clips.csv` (file, digit, engine, voice, stretch, sha256) and `tools.csv`
  (each program and voice package with the version the build found).
"""

import argparse
import csv
import hashlib
import io
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmkit.data.digits import load_digits
from mmkit.data.language import WORDS
from mmkit.paths import dataset_dir, voices_dir

SEED = 2026
SAMPLE_RATE = 8000
ACCENTS = ("en", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd",
           "en-029", "en-us-nyc")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")
SPLIT_VOICES = {"train": 64, "val": 16, "test": 16}
SPLIT_IMAGES = {"train": 120, "val": 27, "test": 27}  # per digit
SPEED_WPM = (130, 210)
PITCH = (25, 75)
MARGIN_S = 0.05


@dataclass(frozen=True)
class ClipSpec:
    file: str
    digit: int
    voice: str
    speed: int
    pitch: int
    split: str


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _trim(audio: np.ndarray, rate: int) -> np.ndarray:
    """Resample to 8 kHz; trim silence quieter than 40 dB below the peak, keeping MARGIN_S."""
    import librosa

    audio = librosa.resample(audio, orig_sr=rate, target_sr=SAMPLE_RATE)
    _, (start, end) = librosa.effects.trim(audio, top_db=40)
    margin = int(MARGIN_S * SAMPLE_RATE)
    return audio[max(0, start - margin):end + margin]


def synthesize(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """Speak `text` with eSpeak NG; return float32 samples at 8 kHz, silence trimmed."""
    import soundfile as sf

    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
                          "--stdout", text], check=True, capture_output=True).stdout
    audio, rate = sf.read(io.BytesIO(wav), dtype="float32")
    return _trim(audio, rate)


# --- other synthesisers: data/voices ---------------------------------------------------------

#: (engine, voice): Flite's built-in voices and Festival's American English ones.
VOICES = (("flite", "kal"), ("flite", "kal16"), ("flite", "awb"), ("flite", "rms"),
          ("flite", "slt"), ("festival", "kal_diphone"), ("festival", "ked_diphone"),
          ("festival", "cmu_us_slt_arctic_hts"))
STRETCHES = (0.8, 1.0, 1.25)   # duration multipliers: > 1 is slower
VOICE_PACKAGES = ("flite", "festival", "festvox-kallpc8k", "festvox-kdlpc8k",
                  "festvox-us-slt-hts")


def synthesize_with(engine: str, voice: str, text: str, stretch: float = 1.0) -> np.ndarray:
    """Speak `text` with Flite or Festival → float32 samples at 8 kHz, silence trimmed.

    stretch multiplies the durations (Flite's duration_stretch, Festival's Duration_Stretch).
    """
    import tempfile

    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "speech.wav"
        if engine == "flite":
            command = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}",
                       "-t", text, "-o", str(out)]
            spoken = None
        elif engine == "festival":
            command = ["text2wave", "-eval", f"(voice_{voice})", "-eval",
                       f"(Parameter.set 'Duration_Stretch {stretch})", "-o", str(out)]
            spoken = text.encode()
        else:
            raise ValueError(f"synthesize_with: engine must be 'flite' or 'festival', "
                             f"got {engine!r}")
        subprocess.run(command, input=spoken, check=True, capture_output=True)
        audio, rate = sf.read(out, dtype="float32")
    return _trim(audio, rate)


def voice_clips() -> list[dict]:
    """The clips of data/voices, in order: file, digit, engine, voice, stretch."""
    return [{"file": f"{digit}_{engine}-{voice}_d{stretch}.flac", "digit": digit,
             "engine": engine, "voice": voice, "stretch": stretch}
            for engine, voice in VOICES for stretch in STRETCHES for digit in range(10)]


def tool_versions() -> list[tuple[str, str]]:
    """(package, version) of each program and voice the voices build uses (dpkg's record)."""
    found = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n",
                            *VOICE_PACKAGES], capture_output=True, text=True)
    versions = dict(line.split(" ", 1) for line in found.stdout.splitlines() if " " in line)
    missing = [package for package in VOICE_PACKAGES if not versions.get(package)]
    if missing:
        raise FileNotFoundError(f"the voices build needs the Debian or Ubuntu packages "
                                f"{', '.join(VOICE_PACKAGES)}; missing: {', '.join(missing)} "
                                f"(apt-get install {' '.join(missing)})")
    return [(package, versions[package]) for package in VOICE_PACKAGES]


def build_voices(folder: Path | None = None, workers: int = 4) -> Path:
    """Write data/voices (or `folder`): 240 clips, clips.csv and tools.csv."""
    import soundfile as sf

    folder = folder or voices_dir()
    versions = tool_versions()
    shutil.rmtree(folder / "audio", ignore_errors=True)
    (folder / "audio").mkdir(parents=True)
    clips = voice_clips()

    def write(clip: dict) -> None:
        audio = synthesize_with(clip["engine"], clip["voice"], WORDS[clip["digit"]],
                                clip["stretch"])
        sf.write(folder / "audio" / clip["file"], audio, SAMPLE_RATE, subtype="PCM_16",
                 format="FLAC")

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(write, clips))
    with open(folder / "clips.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, [*clips[0], "sha256"], lineterminator="\n")
        writer.writeheader()
        writer.writerows({**clip, "file": f"audio/{clip['file']}",
                          "sha256": sha256(folder / "audio" / clip["file"])} for clip in clips)
    with open(folder / "tools.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["package", "version"])
        writer.writerows(versions)
    return folder


def plan(seed: int = SEED) -> tuple[list[ClipSpec], list[dict]]:
    """Which image, voice, speed and pitch each sample gets; no file is written."""
    rng = np.random.default_rng(seed)
    voices = [f"{accent}+{variant}" for accent in ACCENTS for variant in VARIANTS]
    order = rng.permutation(len(voices))
    split_voices, start = {}, 0
    for split, count in SPLIT_VOICES.items():
        split_voices[split] = [voices[i] for i in order[start:start + count]]
        start += count

    _, targets = load_digits()
    clips, samples = [], []
    turn = dict.fromkeys(SPLIT_VOICES, 0)
    for digit in range(10):
        images = rng.permutation(np.flatnonzero(targets == digit))
        start = 0
        for split, count in SPLIT_IMAGES.items():
            for image in images[start:start + count]:
                pool = split_voices[split]
                voice = pool[turn[split] % len(pool)]
                turn[split] += 1
                speed, pitch = int(rng.integers(*SPEED_WPM)), int(rng.integers(*PITCH))
                name = f"{digit}_{voice.replace('+', '_')}_s{speed}_p{pitch}_{image}.flac"
                clips.append(ClipSpec(f"audio/{split}/{name}", digit, voice, speed, pitch, split))
                samples.append({"split": split, "digit": digit, "image": int(image),
                                "clip": clips[-1].file})
            start += count
    order = sorted(range(len(samples)), key=lambda i: (list(SPLIT_VOICES).index(
        samples[i]["split"]), samples[i]["image"]))
    samples = [dict(sample=n, **samples[i]) for n, i in enumerate(order)]
    return clips, samples


def write_clip(spec: ClipSpec, folder: Path) -> None:
    import soundfile as sf

    audio = synthesize(WORDS[spec.digit], spec.voice, spec.speed, spec.pitch)
    path = folder / spec.file
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, SAMPLE_RATE, subtype="PCM_16", format="FLAC")


def build(folder: Path | None = None, seed: int = SEED, workers: int = 4) -> Path:
    """Write the whole data set to `folder` (default data/mmdigits), replacing its audio."""
    if shutil.which("espeak-ng") is None:
        raise FileNotFoundError("espeak-ng is not installed: it speaks the digits. On Debian "
                                "or Ubuntu: apt-get install espeak-ng")
    folder = folder or dataset_dir()
    shutil.rmtree(folder / "audio", ignore_errors=True)
    clips, samples = plan(seed)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda spec: write_clip(spec, folder), clips))
    with open(folder / "clips.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["file", "digit", "voice", "accent", "variant", "speed", "pitch",
                         "split", "sha256"])
        for spec in clips:
            accent, variant = spec.voice.split("+")
            writer.writerow([spec.file, spec.digit, spec.voice, accent, variant, spec.speed,
                             spec.pitch, spec.split, sha256(folder / spec.file)])
    with open(folder / "samples.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["sample", "split", "digit", "image", "clip"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(samples)
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mmkit.data.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None,
                        help="default: data/mmdigits (data/voices with --voices)")
    parser.add_argument("--voices", action="store_true",
                        help="build data/voices (Flite and Festival) instead of mmdigits")
    args = parser.parse_args(argv)
    folder = build_voices(args.out) if args.voices else build(args.out)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"wrote {folder}: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
