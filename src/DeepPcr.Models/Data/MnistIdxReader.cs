using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepPcr.Models.Data;

/// <summary>
/// Reads MNIST in its idx format (as TorchVision and PyTorch store it): a big-endian header with the magic
/// 0x00000803 (images, u8, 3 dimensions) or 0x00000801 (labels, u8, 1 dimension), the dimension sizes, then the
/// bytes. `--data mnist:DIR` expects train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
/// t10k-labels-idx1-ubyte in DIR (each optionally gzip-compressed, with ".gz"). Pixels are scaled to [0, 1].
/// </summary>
public static class MnistIdxReader
{
    /// <summary>Loads the four files from a folder; MNIST's own train/test split is kept.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A malformed file, or images and labels that do not match.</exception>
    public static Dataset Load(string folder)
    {
        var (trainImages, rows, columns) = Images(Find(folder, "train-images-idx3-ubyte"));
        var trainLabels = Labels(Find(folder, "train-labels-idx1-ubyte"));
        var (testImages, testRows, testColumns) = Images(Find(folder, "t10k-images-idx3-ubyte"));
        var testLabels = Labels(Find(folder, "t10k-labels-idx1-ubyte"));
        if (testRows != rows || testColumns != columns) throw new InvalidDataException($"mnist:{folder}: training images are {rows}x{columns} but test images {testRows}x{testColumns}.");
        Match(trainImages.Length / (rows * columns), trainLabels.Length, "train", folder);
        Match(testImages.Length / (rows * columns), testLabels.Length, "t10k", folder);
        int features = rows * columns;
        int classes = Math.Max(trainLabels.Max(), testLabels.Max()) + 1;
        return new Dataset($"mnist:{folder}",
            TorchSharp.torch.tensor(trainImages.Select(b => b / 255f).ToArray(), new long[] { trainLabels.Length, features }),
            TorchSharp.torch.tensor(trainLabels.Select(l => (long)l).ToArray()),
            TorchSharp.torch.tensor(testImages.Select(b => b / 255f).ToArray(), new long[] { testLabels.Length, features }),
            TorchSharp.torch.tensor(testLabels.Select(l => (long)l).ToArray()),
            classes);
    }

    /// <summary>An idx3 image file: the pixel bytes and the image size.</summary>
    public static (byte[] Pixels, int Rows, int Columns) Images(string path)
    {
        var (dims, data) = Read(path, 0x0803, 3);
        return (data, dims[1], dims[2]);
    }

    /// <summary>An idx1 label file: one byte per label.</summary>
    public static int[] Labels(string path) => Read(path, 0x0801, 1).Data.Select(b => (int)b).ToArray();

    private static (int[] Dims, byte[] Data) Read(string path, int magic, int dimensions)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                gz.CopyTo(plain);
                bytes = plain.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: not a valid gzip file ({e.Message}).", e);
            }
        }
        int header = 4 + 4 * dimensions;
        if (bytes.Length < header) throw new InvalidDataException($"{path}: {bytes.Length} bytes is shorter than the {header}-byte idx header.");
        int found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic) throw new InvalidDataException($"{path}: magic number 0x{found:x8}; 0x{magic:x8} was expected (an idx{dimensions} file of unsigned bytes).");
        var dims = new int[dimensions];
        long count = 1;
        for (int d = 0; d < dimensions; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dims[d] <= 0) throw new InvalidDataException($"{path}: dimension {d} has size {dims[d]}.");
            count *= dims[d];
        }
        if (bytes.Length - header != count) throw new InvalidDataException($"{path}: the header promises {count} data bytes but the file holds {bytes.Length - header}.");
        return (dims, bytes.AsSpan(header).ToArray());
    }

    private static string Find(string folder, string name)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"mnist:{folder}: no such folder.");
        foreach (string candidate in new[] { name, name + ".gz" })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"mnist:{folder}: {name} (or {name}.gz) is missing.");
    }

    private static void Match(int images, int labels, string set, string folder)
    {
        if (images != labels) throw new InvalidDataException($"mnist:{folder}: {set} has {images} images but {labels} labels.");
    }
}
