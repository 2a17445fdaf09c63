using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Support;

/// <summary>
/// The tests' own safetensors writer, independent of the library's: the header written by hand as PyTorch's
/// safetensors writes it (tensors in the order given, metadata with "format": "pt", space padding to 8 bytes).
/// </summary>
public static class RecurrentFiles
{
    /// <summary>Writes the tensors (F32 or F64) with the metadata.</summary>
    public static void WriteAsPyTorch(string path, IEnumerable<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string> metadata, bool f32)
    {
        var meta = new Dictionary<string, string>(metadata) { ["format"] = "pt" };
        var header = new StringBuilder("{\"__metadata__\":{" + string.Join(",", meta.Select(m => $"\"{m.Key}\":\"{m.Value}\"")) + "}");
        var data = new List<byte>();
        foreach (var (name, value) in tensors)
        {
            using var flat = value.detach().cpu().contiguous().to_type(ScalarType.Float64).flatten();
            double[] values = flat.data<double>().ToArray();
            long begin = data.Count;
            foreach (double v in values) data.AddRange(f32 ? BitConverter.GetBytes((float)v) : BitConverter.GetBytes(v));
            header.Append($",\"{name}\":{{\"dtype\":\"{(f32 ? "F32" : "F64")}\",\"shape\":[{string.Join(",", value.shape)}],\"data_offsets\":[{begin},{data.Count}]}}");
        }
        header.Append('}');
        while (header.Length % 8 != 0) header.Append(' ');
        var bytes = new List<byte>(BitConverter.GetBytes((ulong)header.Length));
        bytes.AddRange(Encoding.UTF8.GetBytes(header.ToString()));
        bytes.AddRange(data);
        File.WriteAllBytes(path, bytes.ToArray());
    }

    /// <summary>The tensors of a file as float64 TorchSharp tensors, by name.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        var file = DeepPcr.SafeTensors.SafeTensorFile.Read(path);
        return file.Tensors.ToDictionary(t => t.Name, t => torch.tensor(file.ReadAsFloat64(t.Name), t.Shape, ScalarType.Float64));
    }
}
