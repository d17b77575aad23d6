// hazardbot H5: the pages work without this; it only keeps a slow upload
// from being sent twice and says that it is on its way.
document.addEventListener("submit", function (e) {
  var f = e.target, b = f.querySelector("button");
  if (!b || f.dataset.sent) { if (f.dataset.sent) e.preventDefault(); return; }
  f.dataset.sent = "1";
  b.disabled = true;
  b.textContent = f.enctype === "multipart/form-data" ? "正在上传…" : "正在提交…";
});
