using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// The pinned TorchSharp baseline (DESIGN.md section 4): the MLP run layer by layer as a framework would,
/// with addmm and an in-place activation, transposed weights prepared once.
/// </summary>
public sealed class LayerByLayerMlp : IDisposable
{
    private readonly Tensor[] weightsT;
    private readonly Tensor[] biases;
    private readonly Activation activation;

    /// <summary>Prepares per-layer views of the chain's parameters.</summary>
    public LayerByLayerMlp(MlpChain chain, bool requiresGrad = false)
    {
        activation = chain.Activation;
        weightsT = new Tensor[chain.Length];
        biases = new Tensor[chain.Length];
        for (int k = 0; k < chain.Length; k++)
        {
            weightsT[k] = chain.Weights[k].t().contiguous().detach().requires_grad_(requiresGrad);
            biases[k] = chain.Biases[k].contiguous().detach().requires_grad_(requiresGrad);
        }
    }

    /// <summary>W_k^T per layer (w, w); leaves of the autograd graph when built with requiresGrad.</summary>
    public IReadOnlyList<Tensor> WeightsTransposed => weightsT;

    /// <summary>b_k per layer (w).</summary>
    public IReadOnlyList<Tensor> Biases => biases;

    /// <summary>Inference: z_L (B, w) from z_0 (B, w), with in-place activations. Run under inference mode.</summary>
    public Tensor Forward(Tensor input)
    {
        var z = torch.addmm(biases[0], input, weightsT[0], 1, 1);
        activation.ApplyInPlace(z);
        for (int k = 1; k < weightsT.Length; k++)
        {
            var next = torch.addmm(biases[k], z, weightsT[k], 1, 1);
            z.Dispose();
            z = activation.ApplyInPlace(next);
        }
        return z;
    }

    /// <summary>The differentiable forward pass (no in-place ops): z_L (B, w), recorded by autograd.</summary>
    public Tensor ForwardWithGraph(Tensor input)
    {
        var z = input;
        for (int k = 0; k < weightsT.Length; k++) z = activation.Apply(torch.addmm(biases[k], z, weightsT[k], 1, 1));
        return z;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in weightsT) t.Dispose();
        foreach (var t in biases) t.Dispose();
    }
}
