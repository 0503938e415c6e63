// Rate in place: send a rating form without leaving the page. Without this script the
// forms still work: they post and come back to the same page.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.rate");
  if (!form) return;
  event.preventDefault();
  const box = form.closest(".rating");
  const status = box.querySelector(".status");
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
  } catch {
    response = null;
  }
  if (!response || !response.ok) {
    form.submit();
    return;
  }
  const { rating } = await response.json();
  for (const other of box.querySelectorAll("form.rate")) {
    const chosen = Number(other.dataset.value) === rating;
    other.action = chosen ? other.dataset.undo : other.dataset.rate;
    const button = other.querySelector("button");
    button.setAttribute("aria-pressed", String(chosen));
    button.classList.toggle("chosen", chosen);
    button.classList.toggle("secondary", !chosen);
  }
  status.textContent = rating ? "Rated; press again to undo." : "Rating removed.";
});
