"""PyTorch models, one file per concept, each readable top to bottom.

    autoencoder.py   compress and reconstruct: fully connected, convolutional,
                     denoising, variational (notebook 05)
    gan.py           a generator against a discriminator: a 2-D ring, digits (notebook 06)
    attention.py     scaled dot-product and multi-head attention, masks (notebook 07)
    transformer.py   a Transformer block, a tiny GPT and a tiny BERT (notebook 08)
    minilm.py        the pretrained MiniLM, offline from verified files (notebook 08)
    scale.py         parameters, memory, compute, loss against size (notebook 09)
    encoders.py      a CNN for images, an LSTM for audio, MiniLM for text (notebook 11)
    fusion.py        early, late, hierarchical and attention fusion (notebook 12)

They train with the kit's one loop, `mmkit.train.train`.
"""
