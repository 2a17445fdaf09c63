using static TorchSharp.torch;

namespace DeepPcr.Models.Data;

/// <summary>A classification dataset split into training and test sets.</summary>
/// <param name="Name">Where it came from ("digits", "mnist:DIR").</param>
/// <param name="TrainInputs">(N_train, d) float32, values in [0, 1].</param>
/// <param name="TrainLabels">(N_train) int64 in 0..Classes-1.</param>
/// <param name="TestInputs">(N_test, d) float32.</param>
/// <param name="TestLabels">(N_test) int64.</param>
/// <param name="Classes">Number of classes.</param>
public sealed record Dataset(string Name, Tensor TrainInputs, Tensor TrainLabels, Tensor TestInputs, Tensor TestLabels, int Classes)
{
    /// <summary>The input dimension d.</summary>
    public int Features => (int)TrainInputs.size(1);
}
