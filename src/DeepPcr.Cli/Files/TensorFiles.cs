using DeepPcr.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Files;

/// <summary>Moves tensors between safetensors files and TorchSharp, with errors that name the file and the tensor.</summary>
public static class TensorFiles
{
    /// <summary>Reads a file; a missing file is a FileNotFoundException naming it.</summary>
    public static SafeTensorFile Open(string path, string role)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{role} file {path} does not exist.");
        return SafeTensorFile.Read(path);
    }

    /// <summary>Reads a file's header only (<see cref="SafeTensorFile.OpenHeader"/>); a missing file is a FileNotFoundException naming it.</summary>
    public static SafeTensorFile OpenHeader(string path, string role)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{role} file {path} does not exist.");
        return SafeTensorFile.OpenHeader(path);
    }

    /// <summary>
    /// A float32 or float64 tensor of the given shape (null: any shape) as a TorchSharp tensor of its own dtype.
    /// </summary>
    /// <exception cref="InvalidDataException">Missing tensor, another dtype, another shape, or non-finite values.</exception>
    public static Tensor Read(SafeTensorFile file, string name, long[]? shape = null)
    {
        var dtype = Check(file, name, shape);
        var info = file.Get(name);
        Tensor tensor = dtype == SafeTensorDtype.F32 ? torch.tensor(file.ReadFloat32(name), info.Shape) : torch.tensor(file.ReadFloat64(name), info.Shape);
        using (var finite = tensor.isfinite().all())
        {
            if (!finite.item<bool>())
            {
                tensor.Dispose();
                throw new InvalidDataException($"{file.Source}: tensor '{name}' holds non-finite values (NaN or infinity).");
            }
        }
        return tensor;
    }

    /// <summary>Checks from the header that a tensor is present, of the given shape (null: any) and F32 or F64; returns its dtype.</summary>
    /// <exception cref="InvalidDataException">Missing tensor, another dtype or another shape.</exception>
    public static SafeTensorDtype Check(SafeTensorFile file, string name, long[]? shape = null)
    {
        if (!file.Contains(name))
        {
            throw new InvalidDataException($"{file.Source}: tensor '{name}' is missing; it holds: {string.Join(", ", file.Tensors.Select(t => t.Name))}.");
        }
        var info = file.Get(name);
        if (shape is not null && !info.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"{file.Source}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}] but [{string.Join(", ", shape)}] was expected.");
        }
        return info.Dtype is SafeTensorDtype.F32 or SafeTensorDtype.F64
            ? info.Dtype
            : throw new InvalidDataException($"{file.Source}: tensor '{name}' has dtype {info.Dtype.ToHeaderString()}; F32 or F64 was expected.");
    }

    /// <summary>Adds a float32 or float64 tensor to a writer under its own dtype.</summary>
    public static void Add(SafeTensorWriter writer, string name, Tensor tensor)
    {
        using var data = tensor.detach().cpu().contiguous();
        if (data.dtype == ScalarType.Float64) writer.Add(name, data.data<double>().ToArray(), data.shape);
        else writer.Add(name, data.to_type(ScalarType.Float32).data<float>().ToArray(), data.shape);
    }
}
