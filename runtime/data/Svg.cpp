//===- Svg.cpp - loss-curve charts as standalone SVG ------------------------===//
#include "Data.h"

#include "loom/formats/io.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace loom::data {
namespace {

// Canvas and plot area, in SVG user units.
constexpr double kWidth = 800, kHeight = 480;
constexpr double kLeft = 80, kRight = 24, kTop = 48, kBottom = 56;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

const char *const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                "#9467bd", "#8c564b"};

/// A number with 6 significant digits and a '.' whatever the locale.
std::string num(double v, const char *format = "%.6g") {
  if (v == 0)
    v = 0; // no "-0"
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  std::string s(buf);
  for (char &c : s)
    if (c == ',')
      c = '.';
  return s;
}

std::string escapeXml(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&apos;"; break;
    default:
      // Drop control characters, which XML 1.0 forbids.
      if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n')
        out += c;
    }
  }
  return out;
}

/// A 1-2-5 step giving about TARGET intervals over [lo, hi].
double niceStep(double lo, double hi, int target) {
  double raw = (hi - lo) / target;
  if (!(raw > 0) || !std::isfinite(raw))
    return 1;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / mag;
  double step = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  return step * mag;
}

/// Ticks at multiples of the nice step inside [lo, hi].
std::vector<double> ticks(double lo, double hi, int target) {
  double step = niceStep(lo, hi, target);
  std::vector<double> out;
  double first = std::ceil(lo / step - 1e-9);
  for (double k = first; k * step <= hi + step * 1e-9 && out.size() < 50; k += 1) {
    double v = k * step;
    if (std::fabs(v) < step * 1e-9)
      v = 0;
    out.push_back(v);
  }
  return out;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
  /// Widens a degenerate range, then pads by PAD of its length each side.
  void finish(double pad) {
    if (hi - lo <= std::fabs(hi) * 1e-12) {
      double w = std::max(std::fabs(lo) * 0.1, 1.0);
      lo -= w;
      hi += w;
      return;
    }
    double w = hi - lo;
    lo -= w * pad;
    hi += w * pad;
  }
};

/// The finite points of S in canvas coordinates, thinned to the lowest and
/// highest point of each pixel column when there are many.
std::vector<std::pair<double, double>> project(const Series &s, const Range &xr,
                                               const Range &yr) {
  std::vector<std::pair<double, double>> pts;
  size_t n = std::min(s.x.size(), s.y.size());
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]))
      continue;
    double px = kLeft + (s.x[i] - xr.lo) / (xr.hi - xr.lo) * kPlotW;
    double py = kTop + (yr.hi - s.y[i]) / (yr.hi - yr.lo) * kPlotH;
    pts.emplace_back(px, py);
  }
  if (pts.size() <= 4 * static_cast<size_t>(kPlotW))
    return pts;
  std::vector<std::pair<double, double>> thin;
  size_t i = 0;
  while (i < pts.size()) {
    long column = static_cast<long>(pts[i].first);
    size_t lo = i, hi = i, j = i;
    for (; j < pts.size() && static_cast<long>(pts[j].first) == column; ++j) {
      if (pts[j].second < pts[lo].second)
        lo = j;
      if (pts[j].second > pts[hi].second)
        hi = j;
    }
    thin.push_back(pts[std::min(lo, hi)]);
    if (lo != hi)
      thin.push_back(pts[std::max(lo, hi)]);
    i = j;
  }
  return thin;
}

} // namespace

std::vector<double> smoothEma(const std::vector<double> &values, double alpha) {
  std::vector<double> out(values.size());
  double m = 0, w = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      out[i] = values[i];
      continue;
    }
    m = (1 - alpha) * m + alpha * values[i];
    w = (1 - alpha) * w + alpha;
    out[i] = m / w;
  }
  return out;
}

bool writeLineChartSvg(const std::string &path, const std::string &title,
                       const std::string &xLabel, const std::string &yLabel,
                       const std::vector<Series> &series, std::string &err) {
  err.clear();
  for (const Series &s : series)
    if (s.x.size() != s.y.size()) {
      err = "series '" + s.label + "' has " + std::to_string(s.x.size()) + " x and " +
            std::to_string(s.y.size()) + " y values";
      return false;
    }
  Range xr, yr;
  for (const Series &s : series)
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        xr.add(s.x[i]);
        yr.add(s.y[i]);
      }
  bool empty = xr.empty();
  if (empty) {
    xr.lo = 0;
    xr.hi = 1;
    yr.lo = 0;
    yr.hi = 1;
  } else {
    if (xr.hi - xr.lo <= 0)
      xr.finish(0);
    yr.finish(0.05);
  }

  std::string o;
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) +
       "\" height=\"" + num(kHeight) + "\" viewBox=\"0 0 " + num(kWidth) + " " +
       num(kHeight) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o += "<rect x=\"0\" y=\"0\" width=\"" + num(kWidth) + "\" height=\"" + num(kHeight) +
       "\" fill=\"white\"/>\n";
  o += "<text x=\"" + num(kWidth / 2) + "\" y=\"28\" text-anchor=\"middle\" " +
       "font-size=\"16\">" + escapeXml(title) + "</text>\n";

  // Grid lines and tick labels.
  o += "<g stroke=\"#e0e0e0\" stroke-width=\"1\">\n";
  std::vector<double> xt = ticks(xr.lo, xr.hi, 8), yt = ticks(yr.lo, yr.hi, 6);
  auto xPix = [&](double v) { return kLeft + (v - xr.lo) / (xr.hi - xr.lo) * kPlotW; };
  auto yPix = [&](double v) { return kTop + (yr.hi - v) / (yr.hi - yr.lo) * kPlotH; };
  for (double v : xt)
    o += "<line x1=\"" + num(xPix(v), "%.2f") + "\" y1=\"" + num(kTop) + "\" x2=\"" +
         num(xPix(v), "%.2f") + "\" y2=\"" + num(kTop + kPlotH) + "\"/>\n";
  for (double v : yt)
    o += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(yPix(v), "%.2f") + "\" x2=\"" +
         num(kLeft + kPlotW) + "\" y2=\"" + num(yPix(v), "%.2f") + "\"/>\n";
  o += "</g>\n";
  o += "<g fill=\"#333333\">\n";
  for (double v : xt)
    o += "<text x=\"" + num(xPix(v), "%.2f") + "\" y=\"" + num(kTop + kPlotH + 18) +
         "\" text-anchor=\"middle\">" + num(v) + "</text>\n";
  for (double v : yt)
    o += "<text x=\"" + num(kLeft - 8) + "\" y=\"" + num(yPix(v) + 4, "%.2f") +
         "\" text-anchor=\"end\">" + num(v) + "</text>\n";
  o += "<text x=\"" + num(kLeft + kPlotW / 2) + "\" y=\"" + num(kHeight - 12) +
       "\" text-anchor=\"middle\">" + escapeXml(xLabel) + "</text>\n";
  o += "<text x=\"18\" y=\"" + num(kTop + kPlotH / 2) +
       "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " + num(kTop + kPlotH / 2) +
       ")\">" + escapeXml(yLabel) + "</text>\n";
  o += "</g>\n";
  // Axes.
  o += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(kTop) + "\" width=\"" + num(kPlotW) +
       "\" height=\"" + num(kPlotH) + "\" fill=\"none\" stroke=\"#333333\"/>\n";

  // The series.
  for (size_t k = 0; k < series.size(); ++k) {
    const Series &s = series[k];
    std::string colour = s.color.empty() ? kPalette[k % 6] : s.color;
    auto pts = project(s, xr, yr);
    if (pts.empty())
      continue;
    if (pts.size() == 1) {
      o += "<circle cx=\"" + num(pts[0].first, "%.2f") + "\" cy=\"" +
           num(pts[0].second, "%.2f") + "\" r=\"3\" fill=\"" + escapeXml(colour) +
           "\"/>\n";
      continue;
    }
    o += "<polyline fill=\"none\" stroke=\"" + escapeXml(colour) +
         "\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"";
    for (size_t i = 0; i < pts.size(); ++i)
      o += (i ? " " : "") + num(pts[i].first, "%.2f") + "," + num(pts[i].second, "%.2f");
    o += "\"/>\n";
  }
  if (empty)
    o += "<text x=\"" + num(kLeft + kPlotW / 2) + "\" y=\"" + num(kTop + kPlotH / 2) +
         "\" text-anchor=\"middle\" fill=\"#888888\">no data yet</text>\n";

  // Legend, top right inside the plot.
  if (series.size() > 1) {
    o += "<rect x=\"" + num(kLeft + kPlotW - 158) + "\" y=\"" + num(kTop + 4) +
         "\" width=\"150\" height=\"" + num(18.0 * series.size() + 6) +
         "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#cccccc\"/>\n";
    double y = kTop + 20;
    for (size_t k = 0; k < series.size(); ++k, y += 18) {
      std::string colour = series[k].color.empty() ? kPalette[k % 6] : series[k].color;
      double x = kLeft + kPlotW - 150;
      o += "<line x1=\"" + num(x) + "\" y1=\"" + num(y - 4) + "\" x2=\"" + num(x + 24) +
           "\" y2=\"" + num(y - 4) + "\" stroke=\"" + escapeXml(colour) +
           "\" stroke-width=\"2\"/>\n";
      o += "<text x=\"" + num(x + 30) + "\" y=\"" + num(y) + "\">" +
           escapeXml(series[k].label) + "</text>\n";
    }
  }
  o += "</svg>\n";

  rt::Status st = rt::writeFileAtomic(path, {{o.data(), o.size()}});
  if (!st.isOk()) {
    err = st.message();
    return false;
  }
  return true;
}

bool writeLossCurveSvg(const std::string &path, const std::string &title,
                       const std::vector<double> &steps,
                       const std::vector<double> &losses, std::string &err) {
  if (steps.size() != losses.size()) {
    err = "loss curve: " + std::to_string(steps.size()) + " steps but " +
          std::to_string(losses.size()) + " losses";
    return false;
  }
  std::vector<Series> series;
  series.push_back({"loss", steps, losses, "#7fa7d0"});
  if (losses.size() >= 10) {
    double alpha = std::max(0.01, std::min(0.3, 20.0 / static_cast<double>(losses.size())));
    series.push_back({"smoothed (EMA)", steps, smoothEma(losses, alpha), "#d62728"});
  }
  return writeLineChartSvg(path, title, "step", "loss", series, err);
}

} // namespace loom::data
