"""Size expressions fitted from a param's values at several compile sizes (`ncc.dialects.ncnn.size_expr`)
and the layer classes' `generalize_params` that write them. What the runtime computes for each
form is measured in tests/e2e/test_symbolic.py::test_size_expression_semantics."""

from ncc.dialects.ncnn import LAYERS_BY_TYPE
from ncc.dialects.ncnn.size_expr import evaluate_size_expr, fit_size_expr


def test_linear_forms_of_one_input_dim():
    mats = [[(8, 16, 40)], [(8, 16, 80)], [(8, 32, 40)]]  # (c, h, w) at the given size, W moved, H moved
    assert fit_size_expr([20, 40, 20], mats) == "//(0w,2)"
    assert fit_size_expr([15, 15, 31], mats) == "-(0h,1)"
    assert fit_size_expr([50, 50, 98], mats) == "+(*(0h,3),2)"
    assert fit_size_expr([7, 7, 7], mats) == "7"
    for expr, mat in ((e, m) for e in ("//(0w,2)", "-(0h,1)", "+(*(0h,3),2)") for m in mats):
        assert evaluate_size_expr(expr, mat) == {"//(0w,2)": mat[0][2] // 2, "-(0h,1)": mat[0][1] - 1, "+(*(0h,3),2)": 3 * mat[0][1] + 2}[expr]


def test_products_and_misfits():
    mats = [[(8, 16, 40)], [(8, 16, 80)], [(8, 32, 40)]]
    assert fit_size_expr([640, 1280, 1280], mats) == "*(0w,0h)"
    assert fit_size_expr([3, 5, 4], mats) is None  # no linear form of one dim nor a product fits
    assert fit_size_expr([1, 2], [[(4,)], [(4,)]]) is None  # nothing in the input moved


def test_reshape_takes_minus_one_then_expressions():
    reshape = LAYERS_BY_TYPE["Reshape"]
    mats = [[(8, 16, 40)], [(8, 16, 80)], [(8, 32, 40)]]
    # one moving axis: -1, no Mats needed
    assert reshape.generalize_params([({0: "320", 1: "8"}, None), ({0: "640", 1: "8"}, None)]) == {0: "-1", 1: "8"}
    # two moving axes: -1 for the first written, an expression for the other (w first)
    got = reshape.generalize_params([({0: "40", 1: "64", 2: "2"}, mats[0]), ({0: "80", 1: "64", 2: "2"}, mats[1]),
                                     ({0: "40", 1: "128", 2: "2"}, mats[2])])  # fmt: skip
    assert got == {6: '"-1,*(0h,4),2"'}


def test_crop_ends_become_expressions():
    crop = LAYERS_BY_TYPE["Crop"]
    mats = [[(8, 16, 40)], [(8, 16, 80)], [(8, 32, 40)]]
    samples = [({-23309: "1,0", -23310: f"1,{m[0][1] // 2}", -23311: "1,1"}, m) for m in mats]
    assert crop.generalize_params(samples) == {19: '"0"', 20: '"//(0h,2)"', 21: '"1"'}
