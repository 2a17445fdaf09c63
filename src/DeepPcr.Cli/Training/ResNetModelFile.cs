using System.Globalization;
using DeepPcr.Models.ResNet;
using DeepPcr.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Training;

/// <summary>
/// Saves a trained ResNet as safetensors: every parameter by its module path ("projection.weight",
/// "blocks.weight" (L, w, w), "blocks.bias" (L, w), "head.weight", ...) in float32, with the depth, width and
/// step scale in the metadata.
/// </summary>
public static class ResNetModelFile
{
    /// <summary>Writes the model atomically to <paramref name="path"/>.</summary>
    public static void Save(ResNetClassifier model, string path)
    {
        var writer = new SafeTensorWriter();
        foreach (var (name, parameter) in model.named_parameters())
        {
            using var data = parameter.detach().to_type(ScalarType.Float32).contiguous();
            writer.Add(name, data.data<float>().ToArray(), data.shape);
        }
        writer.Metadata["model"] = "deeppcr-resnet";
        writer.Metadata["depth"] = model.Blocks.Length.ToString(CultureInfo.InvariantCulture);
        writer.Metadata["width"] = model.Blocks.Width.ToString(CultureInfo.InvariantCulture);
        writer.Metadata["step_scale"] = model.Blocks.StepScale.ToString("R", CultureInfo.InvariantCulture);
        writer.Save(path);
    }
}
