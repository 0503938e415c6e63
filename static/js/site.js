// The site's only script, a static file so the Content-Security-Policy can forbid inline
// ones: a form with data-confirm="question" asks before it submits.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
