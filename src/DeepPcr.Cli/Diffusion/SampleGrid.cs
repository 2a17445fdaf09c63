using SkiaSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Diffusion;

/// <summary>A PNG of generated digits: one panel per sampler, side by side, each a grid of 8x8 images (at most 64 shown).</summary>
public static class SampleGrid
{
    private const int Pixel = 4, Columns = 8, Gap = 2, Margin = 12, Title = 22;

    /// <summary>Writes the PNG.</summary>
    /// <param name="panels">Sampler name and its samples (N, 64) in [-1, 1].</param>
    /// <param name="path">Output file.</param>
    public static void Write(IReadOnlyList<(string Name, Tensor Samples)> panels, string path)
    {
        int shown = (int)Math.Min(64, panels.Max(p => p.Samples.shape[0]));
        int rows = (shown + Columns - 1) / Columns;
        int cell = 8 * Pixel + Gap;
        int panelWidth = Columns * cell, panelHeight = rows * cell;
        int width = Margin + panels.Count * (panelWidth + Margin), height = Title + panelHeight + 2 * Margin;
        using var bitmap = new SKBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 13);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var fill = new SKPaint();
        for (int p = 0; p < panels.Count; p++)
        {
            int left = Margin + p * (panelWidth + Margin);
            canvas.DrawText(panels[p].Name, left, Margin + 10, font, text);
            var values = panels[p].Samples.to_type(ScalarType.Float32).data<float>().ToArray();
            int count = (int)Math.Min(shown, panels[p].Samples.shape[0]);
            for (int s = 0; s < count; s++)
            {
                int x0 = left + s % Columns * cell, y0 = Title + Margin + s / Columns * cell;
                for (int i = 0; i < 64; i++)
                {
                    byte grey = (byte)(255 - Math.Clamp((values[s * 64 + i] + 1) / 2, 0, 1) * 255);
                    fill.Color = new SKColor(grey, grey, grey);
                    canvas.DrawRect(x0 + i % 8 * Pixel, y0 + i / 8 * Pixel, Pixel, Pixel, fill);
                }
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var stream = File.Create(path);
        data.SaveTo(stream);
    }
}
