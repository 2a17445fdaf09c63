using SkiaSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Diffusion;

/// <summary>
/// A PNG of generated digits: one panel per sampler, side by side, each a square-ish grid of 8x8 images (at most
/// 64 shown), drawn large enough to see: 10 screen pixels per image pixel up to 16 samples, 6 beyond.
/// </summary>
public static class SampleGrid
{
    private const int Gap = 4, Margin = 16, Title = 26, MinPanelWidth = 160;

    /// <summary>Screen pixels per image pixel for <paramref name="shown"/> samples.</summary>
    public static int PixelFor(int shown) => shown <= 16 ? 10 : 6;

    /// <summary>Images per row: the ceiling of the square root, at most 8.</summary>
    public static int ColumnsFor(int shown) => Math.Min(8, (int)Math.Ceiling(Math.Sqrt(shown)));

    /// <summary>Writes the PNG.</summary>
    /// <param name="panels">Sampler name and its samples (N, 64) in [-1, 1].</param>
    /// <param name="path">Output file.</param>
    public static void Write(IReadOnlyList<(string Name, Tensor Samples)> panels, string path)
    {
        int shown = (int)Math.Min(64, panels.Max(p => p.Samples.size(0)));
        int pixel = PixelFor(shown), columns = ColumnsFor(shown);
        int rows = (shown + columns - 1) / columns;
        int cell = 8 * pixel + Gap;
        int panelWidth = Math.Max(MinPanelWidth, columns * cell), panelHeight = rows * cell;
        int width = Margin + panels.Count * (panelWidth + Margin), height = Title + panelHeight + 2 * Margin;
        using var bitmap = new SKBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 16);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var fill = new SKPaint();
        for (int p = 0; p < panels.Count; p++)
        {
            int left = Margin + p * (panelWidth + Margin);
            canvas.DrawText(panels[p].Name, left, Margin + 12, font, text);
            var values = panels[p].Samples.to_type(ScalarType.Float32).data<float>().ToArray();
            int count = (int)Math.Min(shown, panels[p].Samples.size(0));
            for (int s = 0; s < count; s++)
            {
                int x0 = left + s % columns * cell, y0 = Title + Margin + s / columns * cell;
                for (int i = 0; i < 64; i++)
                {
                    byte grey = (byte)(255 - Math.Clamp((values[s * 64 + i] + 1) / 2, 0, 1) * 255);
                    fill.Color = new SKColor(grey, grey, grey);
                    canvas.DrawRect(x0 + i % 8 * pixel, y0 + i / 8 * pixel, pixel, pixel, fill);
                }
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var stream = File.Create(path);
        data.SaveTo(stream);
    }
}
