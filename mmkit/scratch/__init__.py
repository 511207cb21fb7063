"""From scratch in NumPy: layers, autograd, losses and optimizers, each with a PyTorch twin.

    preprocess.py  standardize, one_hot, pad: the input before the first layer
    layers.py      Linear, ReLU, Sigmoid, Tanh, Softmax, Sequential   (torch.nn)
    autograd.py    a small reverse-mode autograd engine              (torch.autograd)
    losses.py      MSE, BCE with logits, cross-entropy, Huber         (torch.nn.*Loss)
    optim.py       GD, SGD, Adagrad, RMSprop, Adam, AdamW              (torch.optim)
    surfaces.py    2-D test surfaces and the paths optimizers take on them
    gradcheck.py   centred finite differences, and what a gradient costs  (torch.autograd.gradcheck)
    train.py       a small training loop with checkpoints

Arrays are float64 by default; float32 is accepted and kept. The input checks
they share (shapes, finite values, counts, names) are in `mmkit.validate`; the
data they train on in `mmkit.data` (`digits`, `toy`).
"""
