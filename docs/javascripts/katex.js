// Render the formulas that pymdownx.arithmatex (generic mode) wrapped in .arithmatex elements as
// \( … \) and \[ … \], on every page load (Material's instant navigation included). Only those
// elements are touched, so a dollar amount in prose never turns into math. KaTeX itself is
// served by the site (docs/hooks.py); a formula KaTeX cannot parse is a console error, which
// the browser check (docs/check_site.py) fails on.
document$.subscribe(({ body }) => {
  for (const element of body.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      errorCallback: (message) => console.error("KaTeX: " + message),
    });
  }
});
