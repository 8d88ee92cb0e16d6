/* Draws the dashboard charts from the JSON block the page carries (no inline script). */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var ink = "#1c2733", grid = "#e6eaee";
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  Chart.defaults.color = ink;
  Chart.defaults.animation = false;

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new Chart(canvas, config); }
  }

  draw("chart-health", {
    type: "doughnut",
    data: {
      labels: data.health.labels,
      datasets: [{ data: data.health.values, backgroundColor: ["#b42318", "#d4a017", "#1a7f37"] }]
    },
    options: { plugins: { legend: { position: "bottom" } }, maintainAspectRatio: false }
  });

  draw("chart-engagements", {
    type: "bar",
    data: {
      labels: data.engagements.labels,
      datasets: [{ label: "Engagements", data: data.engagements.values, backgroundColor: "#0f5c63" }]
    },
    options: {
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, grid: { color: grid } },
                x: { grid: { display: false } } }
    }
  });

  draw("chart-due", {
    type: "bar",
    data: {
      labels: data.due.labels,
      datasets: [
        { label: "Overdue", data: data.due.overdue, backgroundColor: "#b42318" },
        { label: "Due in 30 days", data: data.due.next30, backgroundColor: "#f2b84b" }
      ]
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      plugins: { legend: { position: "bottom" } },
      scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, grid: { color: grid } },
                y: { stacked: true, grid: { display: false } } }
    }
  });
})();
