"""FixMatch-style consistency training (Sohn et al. 2020), the comparison's modern anchor.

A confident prediction on a weakly augmented unlabeled image becomes the target of the
same image strongly augmented::

    loss_x = cross-entropy on the labeled batch (weak views)
    p      = softmax(f(weak(u))), held constant; mask = max p >= tau
    loss_u = mean over the unlabeled batch of mask * CE(argmax p, f(strong(u)))
    loss   = loss_x + lambda_u * loss_u

with ``mu`` unlabeled images per labeled one in each step, the shared conv encoder and
classifier head, and an exponential average of the weights evaluated, as the GAN's is.

One module per part: ``policy`` (the weak and strong views: data processing), ``model``
(the loss and ``train_step``: the training loop's step), ``method`` (registry glue and
the datasets).
"""

from objectives.fixmatch.method import FixMatch, fixmatch_dataset
from objectives.fixmatch.model import FixMatchModel, fixmatch_losses
from objectives.fixmatch.policy import (
    MAX, RandomAffine, affine_transform_rows, strong_view, weak_view)

__all__ = ["MAX", "FixMatch", "FixMatchModel", "RandomAffine", "affine_transform_rows",
           "fixmatch_dataset", "fixmatch_losses", "strong_view", "weak_view"]
