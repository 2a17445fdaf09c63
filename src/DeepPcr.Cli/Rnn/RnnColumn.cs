using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Rnn;

/// <summary>One timed column of `bench rnn`: a forward pass [T, B, I] to [T, B, H] and its parameters in PyTorch's order.</summary>
/// <param name="Label">The JSON stem: <c>{Label}_ms</c>, <c>{Label}_threads</c>.</param>
/// <param name="Forward">The forward pass.</param>
/// <param name="Parameters">weight_ih, weight_hh, bias_ih, bias_hh.</param>
/// <param name="Implementation">What runs, in words.</param>
public sealed record RnnColumn(string Label, Func<Tensor, Tensor> Forward, IReadOnlyList<Tensor> Parameters, string Implementation)
{
    /// <summary>One repetition: the forward pass without autograd, or forward and backward of sum(output ⊙ cotangent)
    /// with the input's and the parameters' gradients.</summary>
    public void Pass(Tensor input, Tensor cotangent, bool backward)
    {
        using var scope = torch.NewDisposeScope();
        if (!backward)
        {
            using var noGrad = torch.no_grad();
            Forward(input);
            return;
        }
        var x = input.detach().requires_grad_(true);
        (Forward(x) * cotangent).sum().backward();
    }

    /// <summary>The output, and with <paramref name="backward"/> the input gradient and every parameter gradient, in float64
    /// (in the caller's dispose scope).</summary>
    public List<Tensor> Results(Tensor input, Tensor cotangent, bool backward)
    {
        foreach (var p in Parameters) p.grad?.zero_();
        var x = input.detach().clone().requires_grad_(backward);
        Tensor output;
        using (torch.set_grad_enabled(backward)) output = Forward(x);
        var results = new List<Tensor> { output.detach().to_type(ScalarType.Float64) };
        if (!backward) return results;
        (output * cotangent).sum().backward();
        results.Add(x.grad!.to_type(ScalarType.Float64));
        results.AddRange(Parameters.Select(p => p.grad!.to_type(ScalarType.Float64)));
        return results;
    }
}
