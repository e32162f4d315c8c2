/* plot.h - line plots as SVG, for the examples and the bench (no plotting dependency).

   plot_svg(path, &plot, series, count) writes one chart: linear or log axes, one polyline per
   series with its markers, optional error bars, an optional dashed reference line, a legend.
   Returns 0 on success, -1 if the file cannot be written. All functions are static. */
#ifndef CCN_PLOT_H
#define CCN_PLOT_H
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct plot_series {
    const char *name;
    const double *x, *y;
    const double *err; /* half-height of an error bar at each point, or NULL */
    int n;
} plot_series;

typedef struct plot {
    const char *title, *xlabel, *ylabel;
    int logx, logy;
    int has_ref;          /* draw a dashed horizontal line at ref_y */
    double ref_y;
    const char *ref_label;
} plot;

static const char *const plot_colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                          "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

/* A round step (1, 2 or 5 times a power of ten) giving about five intervals over a span. */
static double plot_nice_step(double span) {
    double raw = span / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/* Axis transform: value -> [0, 1] within [lo, hi]. */
static double plot_unit(double v, double lo, double hi, int logv) {
    if (logv) return (log10(v) - log10(lo)) / (log10(hi) - log10(lo));
    return (v - lo) / (hi - lo);
}

/* Data range of one axis over every series (and the reference line for y). */
static void plot_range(const plot_series *s, int count, int want_y, int logv, const plot *p, double *lo, double *hi) {
    int i, k;
    *lo = HUGE_VAL;
    *hi = -HUGE_VAL;
    for (i = 0; i < count; ++i)
        for (k = 0; k < s[i].n; ++k) {
            double v = want_y ? s[i].y[k] : s[i].x[k], e = want_y && s[i].err ? s[i].err[k] : 0.0;
            double a = v - e, b = v + e;
            if (logv && a <= 0) a = v;
            if (!(logv && a <= 0) && a < *lo) *lo = a;
            if (b > *hi) *hi = b;
        }
    if (want_y && p->has_ref && !(logv && p->ref_y <= 0)) {
        if (p->ref_y < *lo) *lo = p->ref_y;
        if (p->ref_y > *hi) *hi = p->ref_y;
    }
    if (!(*lo <= *hi)) { /* no data */
        *lo = logv ? 1 : 0;
        *hi = logv ? 10 : 1;
    }
    if (logv) {
        *lo = pow(10, floor(log10(*lo)));
        *hi = pow(10, ceil(log10(*hi)));
        if (*hi <= *lo) *hi = *lo * 10;
    } else { /* out to the round ticks around the data */
        double step;
        if (*hi == *lo) {
            *lo -= fabs(*lo) > 0 ? fabs(*lo) * 0.1 : 1;
            *hi += fabs(*hi) > 0 ? fabs(*hi) * 0.1 : 1;
        }
        step = plot_nice_step(*hi - *lo);
        *lo = floor(*lo / step) * step;
        *hi = ceil(*hi / step) * step;
    }
}

static void plot_ticks(FILE *f, double lo, double hi, int logv, int is_y, double x0, double y0, double w, double h) {
    int k;
    for (k = 0;; ++k) {
        double v, u, px, py;
        char label[32];
        if (logv) {
            v = lo * pow(10, k);
            if (v > hi * 1.0001) break;
            snprintf(label, sizeof label, "1e%d", (int)lround(log10(v)));
        } else {
            double step = plot_nice_step(hi - lo);
            v = lo + step * k;
            if (v > hi + step * 1e-6) break;
            if (fabs(v) < step * 1e-6) v = 0;
            snprintf(label, sizeof label, "%g", v);
        }
        u = plot_unit(v, lo, hi, logv);
        px = is_y ? x0 : x0 + u * w;
        py = is_y ? y0 + h - u * h : y0 + h;
        if (is_y) {
            fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>\n", x0, py, x0 + w, py);
            fprintf(f, "<text x='%.1f' y='%.1f' font-size='12' text-anchor='end'>%s</text>\n", px - 6, py + 4, label);
        } else {
            fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>\n", px, y0, px, y0 + h);
            fprintf(f, "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle'>%s</text>\n", px, py + 18, label);
        }
    }
}

static int plot_svg(const char *path, const plot *p, const plot_series *s, int count) {
    const double W = 840, H = 480, x0 = 80, y0 = 40, w = 500, h = 370;
    double xlo, xhi, ylo, yhi;
    int i, k;
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    plot_range(s, count, 0, p->logx, p, &xlo, &xhi);
    plot_range(s, count, 1, p->logy, p, &ylo, &yhi);
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' font-family='sans-serif'>\n", W, H);
    fprintf(f, "<rect width='100%%' height='100%%' fill='white'/>\n");
    fprintf(f, "<text x='%.1f' y='24' font-size='16' text-anchor='middle'>%s</text>\n", x0 + w / 2, p->title);
    plot_ticks(f, xlo, xhi, p->logx, 0, x0, y0, w, h);
    plot_ticks(f, ylo, yhi, p->logy, 1, x0, y0, w, h);
    fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='black'/>\n", x0, y0, w, h);
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='13' text-anchor='middle'>%s</text>\n", x0 + w / 2, y0 + h + 40, p->xlabel);
    fprintf(f, "<text x='20' y='%.1f' font-size='13' text-anchor='middle' transform='rotate(-90 20 %.1f)'>%s</text>\n",
            y0 + h / 2, y0 + h / 2, p->ylabel);
    if (p->has_ref && !(p->logy && p->ref_y <= 0)) {
        double py = y0 + h - plot_unit(p->ref_y, ylo, yhi, p->logy) * h;
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='gray' stroke-dasharray='6 4'/>\n", x0, py, x0 + w, py);
        fprintf(f, "<text x='%.1f' y='%.1f' font-size='12' fill='gray' text-anchor='end'>%s</text>\n", x0 + w - 4, py - 5,
                p->ref_label ? p->ref_label : "");
    }
    for (i = 0; i < count; ++i) {
        const char *col = plot_colors[i % 10];
        int started = 0;
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' points='", col);
        for (k = 0; k < s[i].n; ++k) {
            if ((p->logx && s[i].x[k] <= 0) || (p->logy && s[i].y[k] <= 0)) continue;
            fprintf(f, "%s%.1f,%.1f", started ? " " : "", x0 + plot_unit(s[i].x[k], xlo, xhi, p->logx) * w,
                    y0 + h - plot_unit(s[i].y[k], ylo, yhi, p->logy) * h);
            started = 1;
        }
        fprintf(f, "'/>\n");
        for (k = 0; k < s[i].n; ++k) {
            double px, py;
            if ((p->logx && s[i].x[k] <= 0) || (p->logy && s[i].y[k] <= 0)) continue;
            px = x0 + plot_unit(s[i].x[k], xlo, xhi, p->logx) * w;
            py = y0 + h - plot_unit(s[i].y[k], ylo, yhi, p->logy) * h;
            if (s[i].err) {
                double lo = s[i].y[k] - s[i].err[k], hi = s[i].y[k] + s[i].err[k];
                if (p->logy && lo <= 0) lo = s[i].y[k];
                fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s'/>\n", px,
                        y0 + h - plot_unit(lo, ylo, yhi, p->logy) * h, px, y0 + h - plot_unit(hi, ylo, yhi, p->logy) * h, col);
            }
            if (s[i].n <= 60) fprintf(f, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n", px, py, col);
        }
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='3'/>\n", x0 + w + 20,
                y0 + 14 + 22.0 * i, x0 + w + 44, y0 + 14 + 22.0 * i, col);
        fprintf(f, "<text x='%.1f' y='%.1f' font-size='12'>%s</text>\n", x0 + w + 50, y0 + 18 + 22.0 * i, s[i].name);
    }
    fprintf(f, "</svg>\n");
    return fclose(f) == 0 ? 0 : -1;
}
#endif
