using System.Globalization;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Data;

/// <summary>
/// The UCI handwritten digits (1,797 images of 8x8 pixels valued 0..16, 10 classes; CC BY 4.0, E. Alpaydin and
/// C. Kaynak), embedded in this assembly. Pixels are scaled to [0, 1]; the split is stratified 80/20 with seed 0.
/// </summary>
public static class DigitsLoader
{
    private const string Resource = "DeepPcr.Models.Data.digits.csv.gz";

    /// <summary>The embedded digits, split 80/20.</summary>
    public static Dataset Load()
    {
        using var stream = typeof(DigitsLoader).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The embedded resource {Resource} is missing from the build.");
        return Parse(stream, "digits");
    }

    /// <summary>Parses a gzip-compressed digits CSV (64 pixel columns 0..16, then the label 0..9).</summary>
    /// <exception cref="InvalidDataException">Not gzip, a row with the wrong column count, a value out of range.</exception>
    public static Dataset Parse(Stream gzipCsv, string name)
    {
        var pixels = new List<float>();
        var labels = new List<int>();
        try
        {
            using var reader = new StreamReader(new GZipStream(gzipCsv, CompressionMode.Decompress));
            int row = 0;
            for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            {
                row++;
                if (line.Length == 0) continue;
                var cells = line.Split(',');
                if (cells.Length != 65) throw new InvalidDataException($"{name}: row {row} has {cells.Length} columns; 65 (64 pixels and a label) were expected.");
                for (int c = 0; c < 64; c++) pixels.Add(Cell(cells[c], 16, name, row, c) / 16f);
                labels.Add((int)Cell(cells[64], 9, name, row, 64));
            }
        }
        catch (InvalidDataException e) when (e.Message.StartsWith("The archive entry") || e.Message.Contains("GZip") || e.Message.Contains("gzip"))
        {
            throw new InvalidDataException($"{name}: not a gzip-compressed CSV ({e.Message}).", e);
        }
        if (labels.Count == 0) throw new InvalidDataException($"{name}: no rows.");
        return Build(name, pixels.ToArray(), labels.ToArray(), 64, 10);
    }

    /// <summary>Splits flat data 80/20 (stratified, seed 0) into tensors.</summary>
    internal static Dataset Build(string name, float[] inputs, int[] labels, int features, int classes)
    {
        var (train, test) = StratifiedSplit.Split(labels, 0.2, seed: 0);
        return new Dataset(name, Rows(inputs, train, features), Labels(labels, train), Rows(inputs, test, features), Labels(labels, test), classes);
    }

    private static float Cell(string text, int max, string name, int row, int column)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 0 || value > max)
        {
            throw new InvalidDataException($"{name}: row {row}, column {column + 1} holds '{text}'; an integer 0..{max} was expected.");
        }
        return value;
    }

    private static Tensor Rows(float[] inputs, int[] indices, int features)
    {
        var data = new float[indices.Length * features];
        for (int i = 0; i < indices.Length; i++) Array.Copy(inputs, indices[i] * features, data, i * features, features);
        return torch.tensor(data, new long[] { indices.Length, features });
    }

    private static Tensor Labels(int[] labels, int[] indices) => torch.tensor(indices.Select(i => (long)labels[i]).ToArray());
}
