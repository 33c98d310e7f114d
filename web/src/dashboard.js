// The manager's dashboard: the weekly trend (chart.js) and the heatmap — a service's diagram with every step
// coloured by its share within SLA and labelled with its median (bpmn-js viewer markers and overlays).
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import {
  CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from "chart.js";

Chart.register(CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);
const PALETTE = ["#0b6e4f", "#c0392b", "#1f5fa8", "#b7791f", "#6b46c1", "#2d3748"];

function json(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

const trend = json("trend-data");
const chartCanvas = document.getElementById("trend-chart");
if (trend && chartCanvas) {
  window.lincahTrend = new Chart(chartCanvas, {
    type: "line",
    data: {
      labels: trend.labels,
      datasets: trend.series.map((series, index) => ({
        label: series.label, data: series.data, spanGaps: true, borderColor: PALETTE[index % PALETTE.length],
        backgroundColor: PALETTE[index % PALETTE.length], tension: 0.2,
      })),
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      // offset: half a week of room before the first and after the last point, so a lone week is drawn whole.
      scales: { x: { offset: true }, y: { min: 0, max: 100, title: { display: true, text: trend.y_label } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
  document.body.dataset.chartReady = "true";
}

const heat = json("heatmap-config");
if (heat) {
  const viewer = new NavigatedViewer({ container: "#heatmap" });
  window.lincahHeatmap = viewer;
  fetch(heat.xml_url, { credentials: "same-origin" })
    .then((response) => response.text())
    .then((xml) => viewer.importXML(xml))
    .then(() => {
      const canvas = viewer.get("canvas");
      const overlays = viewer.get("overlays");
      const registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport", "auto");
      for (const [id, step] of Object.entries(heat.steps)) {
        if (!registry.get(id)) continue;
        canvas.addMarker(id, `heat-${step.level}`);
        overlays.add(id, "lincah-heat", {
          position: { bottom: 12, left: -6 },
          html: `<span class="heat-label heat-label-${step.level}" data-element-id="${id}">${step.label}</span>`,
        });
      }
      document.body.dataset.heatmapReady = "true";
    })
    .catch((error) => {
      document.getElementById("heatmap").textContent = error.message;
    });
}
