"""The map of the course: every notebook, in learning order, with one line each."""

from dataclasses import dataclass
from pathlib import Path

from mmkit.paths import notebooks_dir
from mmkit.validate import lookup


@dataclass(frozen=True)
class Lesson:
    """One notebook of the course: `notebooks/{number:02d}_{slug}.ipynb`."""

    number: int
    slug: str
    title: str
    summary: str

    @property
    def filename(self) -> str:
        return f"{self.number:02d}_{self.slug}.ipynb"

    def is_ready(self, folder: Path | None = None) -> bool:
        """Whether the notebook exists yet (the course is built in order)."""
        return ((folder or notebooks_dir()) / self.filename).is_file()


LESSONS = (
    Lesson(0, "welcome", "Welcome",
           "check the set-up, learn how the widgets work, see the map of the course"),
    Lesson(1, "forward_pass", "The forward pass",
           "layers and activations; from a preprocessed input to a prediction"),
    Lesson(2, "backpropagation", "Backpropagation",
           "the chain rule on a computational graph; checking gradients"),
    Lesson(3, "loss_functions", "Loss functions",
           "mean squared error, cross-entropy and softmax loss, and their gradients"),
    Lesson(4, "optimizers", "Optimizers",
           "gradient descent, SGD, momentum, Adagrad, RMSprop and Adam, side by side"),
    Lesson(5, "autoencoders", "Autoencoders",
           "compress and reconstruct: denoising, latent space, generation"),
    Lesson(6, "gans", "Generative adversarial networks",
           "a generator against a discriminator; training dynamics, mode collapse"),
    Lesson(7, "attention", "Attention",
           "scaled dot-product and multi-head attention, masks"),
    Lesson(8, "transformers_bert_gpt", "Transformers, BERT and GPT",
           "blocks, masked and causal language models, a real pretrained BERT"),
    Lesson(9, "scale", "What makes a model large",
           "parameters, data and compute; loss against size; memory"),
    Lesson(10, "multimodal_data", "Multimodal data",
           "the data set; text, image and audio preprocessing"),
    Lesson(11, "encoders", "Encoders",
           "a CNN for images, an LSTM for audio, BERT for text; unimodal baselines"),
    Lesson(12, "fusion_strategies", "Fusion strategies",
           "feature-level, model-level, hierarchical and attention fusion"),
    Lesson(13, "multimodal_pipeline", "The multimodal pipeline",
           "BERT + CNN + LSTM, fusion, Adam; train/val/test; accuracy, recall, F1"),
    Lesson(14, "missing_and_noisy_data", "Missing and noisy data",
           "cleaning, imputation, modality dropout, robustness curves; real human voices"),
    Lesson(15, "limited_compute", "Limited compute",
           "smaller models, quantisation, pruning, distillation, distributed training"),
)


def lesson_for(filename: str) -> Lesson:
    """The lesson whose notebook is `filename`, e.g. "04_optimizers.ipynb"."""
    return lookup(filename, {lesson.filename: lesson for lesson in LESSONS}, "notebook")


def course_table(folder: Path | None = None, with_status: bool = True) -> str:
    """The course map as a Markdown table; `with_status` adds whether each notebook exists."""
    header = "| # | notebook | what you learn |"
    rule = "|---|---|---|"
    if with_status:
        header += " status |"
        rule += "---|"
    rows = [header, rule]
    for lesson in LESSONS:
        row = f"| {lesson.number:02d} | {lesson.title} | {lesson.summary} |"
        if with_status:
            row += f" {'ready' if lesson.is_ready(folder) else 'coming'} |"
        rows.append(row)
    return "\n".join(rows)
