// The playground's examples, each a job spec with a label.

const csv = "city,visitors\nLisbon,120\nOslo,80\nNairobi,150\nQuito,60\n";

export const examples = {
  hello: { label: "Hello, world", code: 'print("hello, world")\n\nsum(range(10))\n' },
  exception: {
    label: "An exception",
    code: 'def ratio(a, b):\n    return a / b\n\nprint("about to divide")\nratio(1, 0)\n',
  },
  loop: {
    label: "An endless loop (hits the timeout)",
    code: 'print("looping forever…")\nwhile True:\n    pass\n',
    timeout_ms: 2000,
  },
  slow: {
    label: "Output as it comes (prints with pauses)",
    code: 'import time\n\nfor i in range(5):\n    print(f"step {i}", flush=True)\n    time.sleep(1)\n',
  },
  stdin: { label: "Read stdin", code: 'name = input("name? ")\nprint(f"hello, {name}")\n', stdin: "Ada\n" },
  files: {
    label: "Files in and out: CSV in; summary, SVG chart, HTML table out",
    files: [{ path: "visits.csv", content: csv }],
    code: `import csv

with open("visits.csv") as f:
    rows = [(r["city"], int(r["visitors"])) for r in csv.DictReader(f)]

total = sum(n for _, n in rows)
with open("summary.txt", "w") as f:
    f.write(f"{len(rows)} cities, {total} visitors\\n")

# A bar chart as SVG, drawn by hand.
bar, gap, top = 40, 16, max(n for _, n in rows)
bars = "".join(
    f'<rect x="{i * (bar + gap) + gap}" y="{170 - 150 * n / top:.0f}" width="{bar}" '
    f'height="{150 * n / top:.0f}" fill="#0969da"/>'
    f'<text x="{i * (bar + gap) + gap + bar / 2}" y="188" font-size="11" text-anchor="middle">{city}</text>'
    for i, (city, n) in enumerate(rows)
)
width = len(rows) * (bar + gap) + gap
with open("chart.svg", "w") as f:
    f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="200">{bars}</svg>')

# An HTML table.
td = 'style="border: 1px solid #d0d7de; padding: 4px 10px"'
cells = "".join(f"<tr><td {td}>{c}</td><td {td}>{n}</td></tr>" for c, n in rows)
with open("table.html", "w") as f:
    f.write(f'<table style="border-collapse: collapse; font-family: sans-serif">'
            f"<tr><th {td}>city</th><th {td}>visitors</th></tr>{cells}</table>")

print("wrote summary.txt, chart.svg and table.html")
total
`,
  },
};

// addChart adds a chart drawn with matplotlib when packages, the server's
// package repository, include it: the figure comes back as a PNG without
// the code saving it.
export function addChart(packages) {
  if (!packages.includes("matplotlib")) return;
  examples.chart = {
    label: "A matplotlib chart",
    code: `import matplotlib.pyplot as plt

cities = ["Lyon", "Oslo", "Quito", "Pune"]
visitors = [120, 80, 150, 95]
plt.bar(cities, visitors, color="#0969da")
plt.title("Visitors by city")
plt.show()
`,
  };
}
