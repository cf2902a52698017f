"""Choosing the abstention threshold from a dev sweep."""

from __future__ import annotations

from eval.calibrate import Point, choose, report


def _p(t: float, acc: float) -> Point:
    return Point(t, acc, 0.5, 0.5, 3, 10)


def test_the_best_dev_accuracy_wins():
    points = [_p(0.1, 0.70), _p(0.3, 0.81), _p(0.5, 0.76)]
    assert choose(points).threshold == 0.3


def test_ties_take_the_middle_of_the_plateau():
    # a value at the plateau's edge is the likeliest to fall off it on unseen documents
    plateau = [_p(0.1, 0.8), _p(0.2, 0.8), _p(0.3, 0.8), _p(0.4, 0.8), _p(0.6, 0.7)]
    assert choose(plateau).threshold == 0.2
    assert choose(plateau[:3]).threshold == 0.2


def test_report_marks_the_chosen_value_and_shows_precision_and_recall():
    points = [_p(0.2, 0.8), Point(0.4, 0.9, None, 1.0, 5, 10)]
    text = report(points, points[1], 0.3, "python -m eval.calibrate")
    assert "| 0.4 **(chosen)** | 0.900 | — | 1.000 | 5/10 |" in text
    assert "| 0.2 | 0.800 | 0.500 | 0.500 | 3/10 |" in text
    assert "Setting in use: 0.3; best on dev: 0.4." in text
