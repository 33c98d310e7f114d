// A button marked data-print prints the page (the counter's receipt); the page's print styles do the rest.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
