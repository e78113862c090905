// The page of links after the set-up form: "Keep the imported catalogue for {locality}" (docs/import.md).
// Saving needs the console of a workshop of the locality; this page holds the new workshop's console link, so it
// saves with that token (`Authorization: Bearer`), and the server takes the workshop's own principles and
// locality. Loaded as a module file because the pages' CSP forbids inline script.

const card = document.getElementById("save-catalogue-card");
const form = document.getElementById("save-catalogue-form");
const status = document.getElementById("save-catalogue-status");

function consoleToken() {
  const link = document.getElementById("facilitator-link");
  if (!link) return "";
  const match = /#k=([^&]+)/.exec(link.getAttribute("href") || "");
  return match ? decodeURIComponent(match[1]) : "";
}

async function save(title) {
  const button = form.querySelector("button");
  button.disabled = true;
  status.textContent = "Saving…";
  let response = null;
  let body = {};
  try {
    response = await fetch("/api/catalogues", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${consoleToken()}`,
      },
      body: JSON.stringify({ title }),
    });
    body = await response.json().catch(() => ({}));
  } catch (_) {
    response = null;
  }
  if (response && response.ok) {
    const saved = body.catalogue;
    status.textContent = `Saved as “${saved.title}” for ${saved.locality}: the set-up page offers it to `
      + `${saved.locality}'s next workshops.`;
    button.textContent = "Saved";
    return; // saved once; the button stays disabled
  }
  button.disabled = false;
  if (!response) {
    status.textContent = "Not saved: the server couldn't be reached. Check the connection and try again.";
  } else {
    const error = body.error || {};
    status.textContent = `Not saved: ${error.message || `the server answered ${response.status}.`}`;
  }
}

if (card && form) {
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("save-title");
    const title = input.value.trim();
    if (!title) {
      status.textContent = "Give the saved catalogue a name.";
      input.focus();
      return;
    }
    save(title);
  });
}
