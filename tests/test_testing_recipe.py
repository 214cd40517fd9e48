"""The README's recipe for a property-based gradient test of your own function, as written there."""

from hypothesis import given

from autograd.testing import check_grads
from autograd.testing.strategies import reals


def smooth_clip(x, y):                       # your function: Values in, a Value out
    return (x * y).tanh() + (y * y + 1).log()


@given(reals(-3, 3), reals(-3, 3))
def test_smooth_clip_gradients(x, y):
    check_grads(smooth_clip, [x, y], order=2)
