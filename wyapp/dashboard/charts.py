"""Line charts as data for the SVG macros (templates/dashboard/_charts.html): the same SVG
on the page (360 px and up) and in the 周报 PDF. No chart library: scales, ticks and the
points' coordinates are worked out here; the template only draws them."""
from dataclasses import dataclass, field

WIDTH, HEIGHT = 340, 180  # the viewBox; the SVG scales to its container
LEFT, RIGHT, TOP, BOTTOM = 34, 20, 10, 34  # room for the axis labels
COLORS = ("#0f766e", "#b45309", "#1d4ed8")


@dataclass
class Point:
    x: float
    y: float
    label: str  # the day, e.g. 6月9日
    value: object  # the figure shown (int), never None (a missing day has no point)


@dataclass
class Series:
    name: str
    color: str
    points: list = field(default_factory=list)
    segments: list = field(default_factory=list)  # "x,y x,y …" runs without gaps


@dataclass
class Chart:
    title: str
    axis: str  # the y axis' label, e.g. 完成率（%）
    x_labels: list  # [(x, text)]
    y_ticks: list  # [(y, text)]
    series: list
    days: list  # the day labels, for the table under the chart
    rows: list  # [(day label, [value or None per series])]
    unit: str = ""  # "%" for rates
    width: int = WIDTH
    height: int = HEIGHT
    plot: tuple = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)


def _nice_max(value, percent):
    if percent:
        return 100
    for step in (4, 8, 20, 40, 100, 200, 400, 1000, 2000, 4000, 10000):  # quarters whole
        if value <= step:
            return step
    return (int(value) // 4000 + 1) * 4000


def line_chart(title, axis, days, series, percent=False):
    """A chart of `series` [(name, [value or None per day])] over `days` (dates); `percent`
    fixes the scale at 0–100. Returns a Chart with every point's coordinates and figure."""
    top_value = max((v for _, values in series for v in values if v is not None), default=0)
    y_max = _nice_max(top_value, percent)
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    span = max(len(days) - 1, 1)

    def x_of(i):
        return round(left + (right - left) * i / span, 1)

    def y_of(v):
        return round(bottom - (bottom - top) * v / y_max, 1)

    labels = [f"{d.month}月{d.day}日" for d in days]
    every = 1 if len(days) <= 8 else 7
    x_labels = [(x_of(i), f"{d.month}/{d.day}") for i, d in enumerate(days)
                if (len(days) - 1 - i) % every == 0]
    y_ticks = [(y_of(y_max * k / 4), f"{y_max * k / 4:g}") for k in range(5)]
    drawn = []
    for n, (name, values) in enumerate(series):
        line = Series(name, COLORS[n % len(COLORS)])
        run = []
        for i, value in enumerate(values):
            if value is None:
                if run:
                    line.segments.append(" ".join(run))
                run = []
                continue
            point = Point(x_of(i), y_of(value), labels[i], value)
            line.points.append(point)
            run.append(f"{point.x},{point.y}")
        if run:
            line.segments.append(" ".join(run))
        drawn.append(line)
    rows = [(labels[i], [values[i] for _, values in series]) for i in range(len(days))]
    return Chart(title, axis, x_labels, y_ticks, drawn, labels, rows, "%" if percent else "")
