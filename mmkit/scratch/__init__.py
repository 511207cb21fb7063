"""From scratch in NumPy: layers, autograd, losses and optimizers, each with a PyTorch twin.

    layers.py     Linear, ReLU, Sigmoid, Tanh, Softmax, Sequential   (torch.nn)
    autograd.py   a small reverse-mode autograd and its graph        (torch.autograd)
    losses.py     MSE, BCE with logits, cross-entropy, Huber         (torch.nn.*Loss)
    optim.py      GD, SGD, Adagrad, RMSprop, Adam, AdamW              (torch.optim)
    gradcheck.py  centred finite differences                         (torch.autograd.gradcheck)
    train.py      a small training loop with checkpoints

Arrays are float64 by default; float32 is accepted and kept.
"""
