"""The exercises' expected answers, computed independently of the kit: private.

A check compares the learner's answer with a function from here, never with
the kit's own version of the same thing (which the learner could simply
call). Where PyTorch has a twin, the reference is PyTorch; otherwise it is
written here in a different way from the kit's. Notebooks never import this
module (a static check makes sure), and `feedback.attempt` switches every
function here off while a learner's function runs.

One section per notebook, named after it.
"""

# --- 01 forward pass ------------------------------------------------------------------------

# --- 02 backpropagation ---------------------------------------------------------------------

# --- 03 loss functions ----------------------------------------------------------------------

# --- 04 optimizers --------------------------------------------------------------------------

# --- 10 multimodal data ---------------------------------------------------------------------
