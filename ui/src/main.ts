document.getElementById("app")!.textContent = "holdings";
