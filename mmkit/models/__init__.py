"""PyTorch models, one file per concept, each readable top to bottom.

    autoencoder.py   compress and reconstruct: fully connected, convolutional,
                     denoising, variational (notebook 05)
    gan.py           a generator against a discriminator: a 2-D ring, digits (notebook 06)
    attention.py     scaled dot-product and multi-head attention, masks (notebook 07)

They train with the kit's one loop, `mmkit.train.train`.
"""
